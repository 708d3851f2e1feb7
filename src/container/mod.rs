//! The container view the configuration rules share: a container a profile recognised
//! ([`AppContainer`], `app.rs`), where each of its settings comes from (`setting.rs`,
//! `sources.rs`), how they choose the database (`choice.rs`, `database.rs`), and where its data lives
//! (`storage.rs`).

mod app;
mod choice;
mod database;
mod setting;
mod sources;
pub mod storage;

pub use app::AppContainer;
pub use choice::{DatabaseChoice, Invalid};
pub use setting::{Setting, SettingSource, Unseen, argument_value, describe_value_from};
pub use storage::path_contains;
