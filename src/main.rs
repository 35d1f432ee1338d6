//! Entry point of the browser app: mounts [`crynux_dapp::App`] on the page.

fn main() {
    // A panic stops the module, and index.html says so on the page. Debug builds also write
    // the panic to the console; release builds leave out its words (1.2 KB of formatting):
    // the browser still reports the stop (`RuntimeError: unreachable`).
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(crynux_dapp::App);
}
