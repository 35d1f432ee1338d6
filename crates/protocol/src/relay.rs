//! The era relay's refusal messages (`validation_error` answers) that clients act on, word
//! for word: the relay sends them, the clients recognise them.

/// The relay has not yet seen the task on the chain.
pub const TASK_NOT_ON_CHAIN: &str = "Task not found on the Blockchain";
/// The arguments of this task were uploaded before.
pub const ALREADY_UPLOADED: &str = "Task already uploaded";
/// The uploaded arguments do not hash to the task's `taskHash`.
pub const TASK_HASH_MISMATCH: &str = "Task hash mismatch";
/// The result node has not uploaded the results yet.
pub const RESULTS_NOT_UPLOADED: &str = "Task results not uploaded";
/// No result file with that number (yet).
pub const FILE_NOT_FOUND: &str = "File not found";
/// The signed timestamp is too far from the relay's clock.
pub const TIMESTAMP_EXPIRED: &str = "Timestamp expired";
/// The signature is malformed or does not verify.
pub const INVALID_SIGNATURE: &str = "Invalid signature";
/// The signer may not make this request (not the creator, not a selected node).
pub const SIGNER_NOT_ALLOWED: &str = "Signer not allowed";
