//! Letting the Task contract take the wallet's CNX: how much (one fee, several, an amount;
//! remembered per account, five fees by default, never unlimited), the approval itself, sent
//! from the wallet and followed until mined, and an approval a reload interrupted. The
//! session wallet approves by itself and never uses this.

use crynux_protocol::abi::{approve_calldata, gas_limit_with_margin};
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::read::{unreadable, variant, FromJson, Read};
use crynux_protocol::units::{format_cnx, parse_units, DECIMALS};
use crynux_protocol::{Address, H256, U256};
use leptos::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::browser::{load, read_kept, remove, save};
use crate::chain::{wait_for_success, Call, ChainReader};
use crate::error::TaskError;
use crate::lazy::{keep_once_parts_here, Kept};
use crate::task::account_prefix;
use crate::wallet::Wallet;

/// How much to approve, as the user chose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub enum Allowance {
    /// The fee of this many tasks (as typed).
    Tasks(String),
    /// An amount of CNX (as typed).
    Amount(String),
}

impl FromJson for Allowance {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let (name, content, pointer) = variant(value, pointer)?;
        let typed = String::from_json(content, &pointer)?;
        match name.as_str() {
            "Tasks" => Ok(Self::Tasks(typed)),
            "Amount" => Ok(Self::Amount(typed)),
            _ => unreadable(&pointer, "must be Tasks or Amount"),
        }
    }
}

/// Tasks whose fees an approval covers unless the user chose otherwise.
pub const DEFAULT_TASKS: &str = "5";

impl Default for Allowance {
    fn default() -> Self {
        Allowance::Tasks(DEFAULT_TASKS.to_owned())
    }
}

impl Allowance {
    /// The amount in CNX wei for a task fee of `fee`, or why the choice is not usable.
    pub fn amount(&self, fee: U256) -> Result<U256, String> {
        match self {
            Allowance::Tasks(tasks) => match tasks.trim().parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => Ok(fee * n),
                _ => Err("Give a number of tasks from 1 to 1000.".to_owned()),
            },
            Allowance::Amount(typed) => match parse_units(typed, DECIMALS) {
                Ok(amount) if amount < fee => {
                    Err(format!("At least one task's fee: {}.", format_cnx(fee)))
                }
                other => other,
            },
        }
    }
}

/// Approvals from the user's wallet.
#[derive(Clone, Copy)]
pub struct Approval {
    /// What the user chose to approve (the connected account's, remembered).
    pub choice: RwSignal<Allowance>,
    /// Approves an amount and waits until it is mined.
    pub approve: Action<U256, Result<(), TaskError>>,
    /// Waits for an approval sent before a reload.
    mined: Action<(Address, H256), Result<(), TaskError>>,
    approver: Approver,
}

/// What sends an approval and follows it until mined (lazily loaded: `crate::lazy`).
#[derive(Clone, Copy)]
pub struct Approver {
    profile: StoredValue<NetworkProfile>,
    wallet: Wallet,
    /// Bumped once an approval is mined.
    refresh: RwSignal<u32>,
}

/// Approvals for `profile`'s Task contract from `wallet`; `refresh` is bumped once mined.
pub fn use_approval(profile: &NetworkProfile, wallet: Wallet, refresh: RwSignal<u32>) -> Approval {
    let profile = StoredValue::new(profile.clone());
    let approver = Approver {
        profile,
        wallet,
        refresh,
    };
    let mined = Action::new_local(move |&(account, hash): &(Address, H256)| async move {
        crate::lazy::approval_mined(approver, account, hash)
            .await?
            .await
    });
    let choice = RwSignal::new(Allowance::default());
    let approval = Approval {
        choice,
        approve: Action::new_local(move |&amount: &U256| async move {
            crate::lazy::approve(approver, amount).await?.await
        }),
        mined,
        approver,
    };
    keep_once_parts_here(Kept::Approval(approval));
    approval
}

impl Approval {
    /// Keeps the wallet account's own choice, and follows its approval still being mined
    /// after a reload.
    pub fn keep(self) {
        let (approval, choice, mined) = (self, self.choice, self.mined);
        let (wallet, profile) = (self.approver.wallet, self.approver.profile);
        Effect::new(move |_| {
            let Some(account) = wallet.account.get() else {
                return;
            };
            let remembered = load(&approval.choice_key(account));
            choice.set(remembered.and_then(|c| read_kept(&c)).unwrap_or_default());
            if let Some(hash) = load(&profile.with_value(|p| pending_key(p, account))) {
                if let Ok(hash) = hash.parse::<H256>() {
                    mined.dispatch((account, hash));
                }
            }
        });
    }

    fn choice_key(&self, account: Address) -> String {
        self.approver
            .profile
            .with_value(|p| format!("{}approval-choice", account_prefix(p, account)))
    }

    /// Keeps `choice` as the connected account's.
    pub fn choose(&self, choice: Allowance) {
        if let Some(account) = self.approver.wallet.account.get_untracked() {
            save(
                &self.choice_key(account),
                &serde_json::to_string(&choice).unwrap_or_default(),
            );
        }
        self.choice.set(choice);
    }

    /// Whether an approval is being sent or mined (tracked).
    pub fn busy(&self) -> bool {
        self.approve.pending().get() || self.mined.pending().get()
    }

    /// The failure of the last approval, if it failed (tracked).
    pub fn error(&self) -> Option<TaskError> {
        [self.approve.value().get(), self.mined.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::err)
    }

    /// Approves the chosen amount and waits until it is mined (for "Approve and generate").
    pub async fn approve_chosen(self, fee: U256) -> Result<(), TaskError> {
        let amount = self
            .choice
            .with_untracked(|c| c.amount(fee))
            .map_err(TaskError::Refused)?;
        crate::lazy::approve(self.approver, amount).await?.await
    }
}

impl Approver {
    /// Sends an approval of `amount` from the wallet (simulated first) and waits until mined;
    /// the sent hash is kept so that a reload waits for it instead of offering to approve
    /// again.
    pub async fn send(self, amount: U256) -> Result<(), TaskError> {
        let Self {
            profile, wallet, ..
        } = self;
        let account = wallet
            .account
            .get_untracked()
            .ok_or(TaskError::WrongAccount)?;
        let (contracts, chain) =
            profile.with_value(|p| (p.contracts, ChainReader::new(&p.rpc_url)));
        let data = approve_calldata(contracts.task, amount);
        let call = Call {
            from: account,
            to: contracts.token,
            data: &data,
        };
        let estimate = chain.estimate_gas(call).await?;
        let hash = wallet
            .send_transaction(
                account,
                contracts.token,
                U256::zero(),
                &data,
                gas_limit_with_margin(estimate),
            )
            .await?;
        save(
            &profile.with_value(|p| pending_key(p, account)),
            &format!("{hash:?}"),
        );
        self.wait_mined(account, hash).await
    }

    /// Waits until the approval `hash` from `account` is mined.
    pub async fn wait_mined(self, account: Address, hash: H256) -> Result<(), TaskError> {
        let Self {
            profile, refresh, ..
        } = self;
        let chain = profile.with_value(|p| ChainReader::new(&p.rpc_url));
        let mined = wait_for_success(&chain, hash, "approval").await;
        remove(&profile.with_value(|p| pending_key(p, account)));
        refresh.update(|n| *n += 1);
        mined.map(drop).map_err(TaskError::from)
    }
}

/// Where an approval sent and not yet mined is kept.
fn pending_key(profile: &NetworkProfile, account: Address) -> String {
    format!("{}pending-approval", account_prefix(profile, account))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEE: u64 = 30;

    fn cnx(n: u64) -> U256 {
        U256::from(n) * U256::exp10(DECIMALS)
    }

    #[test]
    fn five_fees_unless_chosen_otherwise() {
        assert_eq!(Allowance::default().amount(cnx(FEE)), Ok(cnx(5 * FEE)));
    }

    #[test]
    fn a_count_of_fees_is_one_to_a_thousand() {
        let tasks = |n: &str| Allowance::Tasks(n.to_owned()).amount(cnx(FEE));
        assert_eq!(tasks("1"), Ok(cnx(FEE)));
        assert_eq!(tasks(" 20 "), Ok(cnx(20 * FEE)));
        for refused in ["0", "1001", "-1", "two", ""] {
            assert!(tasks(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn an_amount_is_at_least_one_fee_and_never_unlimited() {
        let amount = |typed: &str| Allowance::Amount(typed.to_owned()).amount(cnx(FEE));
        assert_eq!(amount("45.5"), Ok(cnx(455) / 10));
        assert_eq!(
            amount("29.99"),
            Err("At least one task's fee: 30 CNX.".to_owned())
        );
        assert!(amount("").is_err());
        assert!(amount("1e80").is_err());
    }

    #[test]
    fn the_choice_is_read_by_hand_as_serde_s_derived_reader_reads_it() {
        let examples = [
            Allowance::Tasks("5".into()),
            Allowance::Amount("0.5".into()),
        ];
        let mut others = crynux_protocol::read::every_kind();
        others.push(serde_json::json!({"Amount": "1"}));
        let (read, documents) =
            crynux_protocol::read::assert_read_as_serde_reads(&examples, &others);
        assert!(read >= 4, "only {read} of {documents} read");
    }
}
