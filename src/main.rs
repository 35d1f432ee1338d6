//! Entry point of the browser app: mounts [`crynux_dapp::App`] on the page.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(crynux_dapp::App);
}
