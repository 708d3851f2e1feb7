//! The container view the configuration rules share: a container a profile recognised
//! ([`AppContainer`], `app.rs`), where each of its settings comes from (`setting.rs`,
//! `sources.rs`), how they choose the database (`choice.rs`, `database.rs`), and where its data lives
//! (`storage.rs`).

mod app;
mod choice;
mod database;
mod setting;
mod sources;
pub(crate) mod storage;

pub(crate) use app::AppContainer;
pub(crate) use choice::DatabaseChoice;
pub(crate) use setting::{Setting, SettingSource, Unseen, argument_value, describe_value_from};
pub(crate) use storage::path_contains;
