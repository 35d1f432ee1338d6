//! The relay's state in SQLite (WAL): tasks as the chain and the uploads made them, and the
//! last block the follower processed, changed in the same transaction as what it caused.
//! Result files live beside the database, written atomically.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crynux_protocol::abi::TaskEvent;
use crynux_protocol::Address;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// A task's progress as the relay sees it (the era's numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "u8")]
pub enum Status {
    /// 0: `TaskCreated` seen.
    Created,
    /// 1: arguments uploaded.
    ArgsUploaded,
    /// 2: `TaskAborted` seen.
    Aborted,
    /// 3: `TaskSuccess` seen, results not yet uploaded.
    PendingResults,
    /// 4: results uploaded.
    ResultsUploaded,
}

impl From<Status> for u8 {
    fn from(status: Status) -> u8 {
        status as u8
    }
}

impl Status {
    fn from_db(n: i64) -> Self {
        match n {
            0 => Self::Created,
            1 => Self::ArgsUploaded,
            2 => Self::Aborted,
            3 => Self::PendingResults,
            _ => Self::ResultsUploaded,
        }
    }
}

/// A task record.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRecord {
    /// On-chain id.
    pub task_id: u64,
    /// 0 SD, 1 GPT.
    pub task_type: u64,
    /// Who paid.
    pub creator: Address,
    /// keccak256 of the arguments string, `0x` hex.
    pub task_hash: String,
    /// The nodes of rounds 0, 1, 2 (zero until their `TaskCreated` is seen).
    pub selected_nodes: Vec<Address>,
    /// Progress.
    pub status: Status,
    /// The uploaded arguments string.
    pub task_args: Option<String>,
    /// `TaskSuccess.result`, `0x` hex.
    pub result: Option<String>,
    /// `TaskSuccess.resultNode`.
    pub result_node: Option<Address>,
    /// Number of stored result files.
    pub result_count: Option<u32>,
    /// `TaskAborted.reason`.
    pub abort_reason: Option<String>,
}

/// Why the store failed (disk, database): never shown to clients as such.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// The file system failed.
    #[error("files: {0}")]
    Files(#[from] std::io::Error),
}

/// The database and the results folder.
#[derive(Clone)]
pub struct Store {
    db: Arc<Mutex<Connection>>,
    results_dir: PathBuf,
}

const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE tasks (
        task_id INTEGER PRIMARY KEY,
        task_type INTEGER NOT NULL,
        creator TEXT NOT NULL,
        task_hash TEXT NOT NULL,
        node0 TEXT, node1 TEXT, node2 TEXT,
        status INTEGER NOT NULL,
        task_args TEXT,
        result BLOB,
        result_node TEXT,
        result_count INTEGER,
        abort_reason TEXT
    );
    CREATE TABLE sync (id INTEGER PRIMARY KEY CHECK (id = 1), last_block INTEGER NOT NULL);
"#,
    r#"
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
    );
"#,
];

impl Store {
    /// Opens (or creates) the store in `data_dir` and runs the migrations.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let results_dir = data_dir.join("results");
        std::fs::create_dir_all(data_dir.join("tmp"))?;
        std::fs::create_dir_all(&results_dir)?;
        let db = Connection::open(data_dir.join("relay.sqlite"))?;
        // WAL for readers beside the writer; FULL so that an acknowledged upload survives a
        // power cut, not just a crash.
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: usize = db.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (n, migration) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = db.unchecked_transaction()?;
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", n + 1)?;
            tx.commit()?;
        }
        Ok(Self {
            db: Arc::new(Mutex::new(db)),
            results_dir,
        })
    }

    /// Runs `f` on the connection off the async threads.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Files(std::io::Error::other(e)))?
    }

    /// The last block whose events are applied, if any.
    pub async fn last_block(&self) -> Result<Option<u64>, StoreError> {
        self.run(|db| {
            Ok(db
                .query_row("SELECT last_block FROM sync WHERE id = 1", [], |r| {
                    r.get::<_, i64>(0)
                })
                .optional()?
                .map(|n| n as u64))
        })
        .await
    }

    /// Applies the events of blocks up to `last_block` and records that block, atomically.
    pub async fn apply_events(
        &self,
        events: Vec<TaskEvent>,
        last_block: u64,
    ) -> Result<(), StoreError> {
        self.run(move |db| {
            let tx = db.transaction()?;
            for event in &events {
                apply(&tx, event)?;
            }
            tx.execute(
                "INSERT INTO sync (id, last_block) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET last_block = excluded.last_block",
                [last_block as i64],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// The task, if the chain has announced it.
    pub async fn task(&self, task_id: u64) -> Result<Option<TaskRecord>, StoreError> {
        self.run(move |db| {
            Ok(db
                .query_row(
                    "SELECT task_id, task_type, creator, task_hash, node0, node1, node2, status,
                            task_args, result, result_node, result_count, abort_reason
                     FROM tasks WHERE task_id = ?1",
                    [task_id as i64],
                    read_task,
                )
                .optional()?)
        })
        .await
    }

    /// Starts a session of `address` until `expires_at` under the token whose hash is
    /// `token_hash`, deleting the sessions that have expired by `now`.
    pub async fn start_session(
        &self,
        token_hash: String,
        address: Address,
        expires_at: u64,
        now: u64,
    ) -> Result<(), StoreError> {
        self.run(move |db| {
            let tx = db.transaction()?;
            tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now as i64])?;
            tx.execute(
                "INSERT INTO sessions (token_hash, address, expires_at, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    token_hash,
                    format!("{address:?}"),
                    expires_at as i64,
                    now as i64
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// The account of the session under the token whose hash is `token_hash`, unless it has
    /// ended by `now`.
    pub async fn session(
        &self,
        token_hash: String,
        now: u64,
    ) -> Result<Option<Address>, StoreError> {
        self.run(move |db| {
            let address: Option<String> = db
                .query_row(
                    "SELECT address FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
                    params![token_hash, now as i64],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(address.and_then(|a| a.parse().ok()))
        })
        .await
    }

    /// Ends the session under the token whose hash is `token_hash`.
    pub async fn end_session(&self, token_hash: String) -> Result<(), StoreError> {
        self.run(move |db| {
            db.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
            Ok(())
        })
        .await
    }

    /// Stores the arguments if none are stored yet; false when they already were.
    pub async fn save_args(&self, task_id: u64, task_args: String) -> Result<bool, StoreError> {
        self.run(move |db| {
            let changed = db.execute(
                "UPDATE tasks SET task_args = ?2, status = 1 WHERE task_id = ?1 AND status = 0",
                params![task_id as i64, task_args],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    /// Writes the result files, then marks the task as having them; false when another
    /// upload got there first.
    pub async fn save_results(
        &self,
        task_id: u64,
        files: Vec<Vec<u8>>,
    ) -> Result<bool, StoreError> {
        let results_dir = self.results_dir.clone();
        self.run(move |db| {
            let dir = results_dir.join(task_id.to_string());
            std::fs::create_dir_all(&dir)?;
            let tmp_dir = results_dir.with_file_name("tmp");
            for (n, bytes) in files.iter().enumerate() {
                write_atomically(&tmp_dir, &dir.join(n.to_string()), bytes)?;
            }
            std::fs::File::open(&dir)?.sync_all()?;
            let changed = db.execute(
                "UPDATE tasks SET status = 4, result_count = ?2 WHERE task_id = ?1 AND status = 3",
                params![task_id as i64, files.len() as i64],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    /// Result file `n` of a task whose results are uploaded.
    pub async fn result_file(&self, task_id: u64, n: u32) -> Result<Vec<u8>, StoreError> {
        let path = self
            .results_dir
            .join(task_id.to_string())
            .join(n.to_string());
        Ok(tokio::fs::read(path).await?)
    }
}

fn apply(tx: &rusqlite::Transaction<'_>, event: &TaskEvent) -> Result<(), rusqlite::Error> {
    match event {
        TaskEvent::Created {
            task_id,
            task_type,
            creator,
            selected_node,
            task_hash,
            round,
            ..
        } => {
            tx.execute(
                "INSERT OR IGNORE INTO tasks (task_id, task_type, creator, task_hash, status)
                 VALUES (?1, ?2, ?3, ?4, 0)",
                params![
                    *task_id as i64,
                    *task_type as i64,
                    hex_address(creator),
                    format!("{task_hash:?}")
                ],
            )?;
            let column = match round {
                0 => "node0",
                1 => "node1",
                _ => "node2",
            };
            tx.execute(
                &format!("UPDATE tasks SET {column} = ?2 WHERE task_id = ?1"),
                params![*task_id as i64, hex_address(selected_node)],
            )?;
        }
        TaskEvent::ResultCommitmentsReady { .. } => {}
        TaskEvent::Success {
            task_id,
            result,
            result_node,
        } => {
            tx.execute(
                "UPDATE tasks SET status = 3, result = ?2, result_node = ?3
                 WHERE task_id = ?1 AND status < 3",
                params![*task_id as i64, result, hex_address(result_node)],
            )?;
        }
        TaskEvent::Aborted { task_id, reason } => {
            tx.execute(
                "UPDATE tasks SET status = 2, abort_reason = ?2 WHERE task_id = ?1 AND status <> 4",
                params![*task_id as i64, reason],
            )?;
        }
    }
    Ok(())
}

fn read_task(row: &rusqlite::Row<'_>) -> Result<TaskRecord, rusqlite::Error> {
    let address = |i: usize| -> Result<Option<Address>, rusqlite::Error> {
        Ok(row
            .get::<_, Option<String>>(i)?
            .and_then(|s| s.parse().ok()))
    };
    Ok(TaskRecord {
        task_id: row.get::<_, i64>(0)? as u64,
        task_type: row.get::<_, i64>(1)? as u64,
        creator: address(2)?.unwrap_or_default(),
        task_hash: row.get(3)?,
        selected_nodes: (4..7)
            .map(|i| address(i).map(Option::unwrap_or_default))
            .collect::<Result<_, _>>()?,
        status: Status::from_db(row.get(7)?),
        task_args: row.get(8)?,
        result: row
            .get::<_, Option<Vec<u8>>>(9)?
            .map(|r| format!("0x{}", hex::encode(r))),
        result_node: address(10)?,
        result_count: row.get::<_, Option<i64>>(11)?.map(|n| n as u32),
        abort_reason: row.get(12)?,
    })
}

fn hex_address(address: &Address) -> String {
    format!("{address:?}")
}

/// Write to a temporary file, flush it to disk, then rename it into place: a reader sees
/// the old file or the whole new one.
fn write_atomically(tmp_dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = tmp_dir.join(format!(
        "{}-{}",
        std::process::id(),
        path.display().to_string().replace('/', "_")
    ));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}
