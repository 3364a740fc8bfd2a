//! The twin's SQLite database (`<state-dir>/twin.sqlite`): state machines, activities,
//! executions, their history events, task tokens handed out, the memoization index of
//! finished tasks, and job logs. Every write is its own transaction, so a killed twin leaves
//! the database at the last event it recorded.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use leadline_asl::history::HistoryEvent;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::control::{ActivityInfo, ExecutionInfo, MachineInfo, Status, StepLog};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the twin database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("the twin database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("the twin database holds an unreadable {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS machines (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, definition TEXT NOT NULL,
    role_arn TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS activities (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS executions (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, machine_arn TEXT NOT NULL,
    status TEXT NOT NULL, input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT,
    started REAL NOT NULL, stopped REAL, redrive_count INTEGER NOT NULL DEFAULT 0,
    redrived REAL);
CREATE INDEX IF NOT EXISTS executions_by_machine ON executions (machine_arn, started);
CREATE TABLE IF NOT EXISTS events (
    execution_arn TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (execution_arn, id));
CREATE TABLE IF NOT EXISTS task_tokens (
    token TEXT PRIMARY KEY, execution_arn TEXT NOT NULL, state TEXT NOT NULL,
    resource TEXT NOT NULL, input TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS memo (
    execution_arn TEXT NOT NULL, key TEXT NOT NULL, result TEXT NOT NULL,
    PRIMARY KEY (execution_arn, key));
CREATE TABLE IF NOT EXISTS job_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, execution_arn TEXT NOT NULL,
    state TEXT NOT NULL, label TEXT NOT NULL, text TEXT NOT NULL, result TEXT,
    started REAL NOT NULL, stopped REAL NOT NULL);
";

pub struct Db {
    connection: Mutex<Connection>,
}

fn status_of(text: &str) -> Result<Status, DbError> {
    Status::parse(text).ok_or_else(|| DbError::Corrupt {
        what: "execution status",
        detail: text.to_owned(),
    })
}

const EXECUTION_COLUMNS: &str = "arn, name, machine_arn, status, input, output, error, cause, \
                                 started, stopped, redrive_count, redrived";

fn execution(row: &Row<'_>) -> rusqlite::Result<(ExecutionInfo, String)> {
    let status: String = row.get(3)?;
    Ok((
        ExecutionInfo {
            arn: row.get(0)?,
            name: row.get(1)?,
            machine_arn: row.get(2)?,
            // Replaced below: a row closure cannot return our error type.
            status: Status::Running,
            input: row.get(4)?,
            output: row.get(5)?,
            error: row.get(6)?,
            cause: row.get(7)?,
            started: row.get(8)?,
            stopped: row.get(9)?,
            redrive_count: row.get(10)?,
            redrived: row.get(11)?,
        },
        status,
    ))
}

fn with_status((mut info, status): (ExecutionInfo, String)) -> Result<ExecutionInfo, DbError> {
    info.status = status_of(&status)?;
    Ok(info)
}

fn machine(row: &Row<'_>) -> rusqlite::Result<MachineInfo> {
    Ok(MachineInfo {
        arn: row.get(0)?,
        name: row.get(1)?,
        definition: row.get(2)?,
        role_arn: row.get(3)?,
        created: row.get(4)?,
    })
}

/// How an execution ended, for [`Db::finish`].
pub struct Ending<'a> {
    pub status: Status,
    pub output: Option<&'a str>,
    pub error: Option<&'a str>,
    pub cause: Option<&'a str>,
    pub stopped: f64,
}

/// A task token the twin handed out and has not seen completed.
pub struct TokenRecord {
    pub execution_arn: String,
    pub state: String,
}

impl Db {
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let opened = |source| DbError::Open {
            path: path.display().to_string(),
            source,
        };
        let connection = Connection::open(path).map_err(opened)?;
        // WAL keeps readers (the web page) off the writer's back; NORMAL sync is durable
        // across a killed process, which is the crash this database is for.
        connection
            .execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
            .map_err(opened)?;
        connection.execute_batch(SCHEMA).map_err(opened)?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (each call is atomic).
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn insert_machine(&self, m: &MachineInfo) -> Result<(), DbError> {
        self.lock().execute(
            "INSERT OR REPLACE INTO machines VALUES (?1, ?2, ?3, ?4, ?5)",
            params![m.arn, m.name, m.definition, m.role_arn, m.created],
        )?;
        Ok(())
    }

    pub fn machine(&self, arn: &str) -> Result<Option<MachineInfo>, DbError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT arn, name, definition, role_arn, created FROM machines WHERE arn = ?1",
                [arn],
                machine,
            )
            .optional()?)
    }

    pub fn machines(&self) -> Result<Vec<MachineInfo>, DbError> {
        let connection = self.lock();
        let mut statement = connection.prepare(
            "SELECT arn, name, definition, role_arn, created FROM machines ORDER BY created DESC",
        )?;
        let rows = statement.query_map([], machine)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn delete_machine(&self, arn: &str) -> Result<bool, DbError> {
        Ok(self
            .lock()
            .execute("DELETE FROM machines WHERE arn = ?1", [arn])?
            > 0)
    }

    pub fn insert_activity(&self, a: &ActivityInfo) -> Result<(), DbError> {
        self.lock().execute(
            "INSERT OR IGNORE INTO activities VALUES (?1, ?2, ?3)",
            params![a.arn, a.name, a.created],
        )?;
        Ok(())
    }

    pub fn activities(&self) -> Result<Vec<ActivityInfo>, DbError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare("SELECT arn, name, created FROM activities ORDER BY created DESC")?;
        let rows = statement.query_map([], |row| {
            Ok(ActivityInfo {
                arn: row.get(0)?,
                name: row.get(1)?,
                created: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn insert_execution(&self, e: &ExecutionInfo) -> Result<(), DbError> {
        self.lock().execute(
            &format!("INSERT INTO executions ({EXECUTION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
            params![
                e.arn,
                e.name,
                e.machine_arn,
                e.status.as_str(),
                e.input,
                e.output,
                e.error,
                e.cause,
                e.started,
                e.stopped,
                e.redrive_count,
                e.redrived
            ],
        )?;
        Ok(())
    }

    pub fn execution(&self, arn: &str) -> Result<Option<ExecutionInfo>, DbError> {
        let row = self
            .lock()
            .query_row(
                &format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = ?1"),
                [arn],
                execution,
            )
            .optional()?;
        row.map(with_status).transpose()
    }

    /// Executions of a machine (all machines when `None`), newest first.
    pub fn executions(
        &self,
        machine_arn: Option<&str>,
        status: Option<Status>,
    ) -> Result<Vec<ExecutionInfo>, DbError> {
        let connection = self.lock();
        let mut statement = connection.prepare(&format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions
             WHERE (?1 IS NULL OR machine_arn = ?1) AND (?2 IS NULL OR status = ?2)
             ORDER BY started DESC, rowid DESC"
        ))?;
        let rows =
            statement.query_map(params![machine_arn, status.map(Status::as_str)], execution)?;
        let rows: Vec<_> = rows.collect::<Result<_, _>>()?;
        rows.into_iter().map(with_status).collect()
    }

    pub fn finish(&self, arn: &str, ending: &Ending<'_>) -> Result<(), DbError> {
        self.lock().execute(
            "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, stopped = ?6
             WHERE arn = ?1",
            params![
                arn,
                ending.status.as_str(),
                ending.output,
                ending.error,
                ending.cause,
                ending.stopped
            ],
        )?;
        Ok(())
    }

    /// Marks a redrive: running again, one more redrive, nothing of the last ending kept.
    pub fn redrive(&self, arn: &str, at: f64) -> Result<(), DbError> {
        self.lock().execute(
            "UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL,
             stopped = NULL, redrive_count = redrive_count + 1, redrived = ?2 WHERE arn = ?1",
            params![arn, at],
        )?;
        Ok(())
    }

    pub fn record_event(&self, arn: &str, event: &HistoryEvent) -> Result<(), DbError> {
        let body = serde_json::to_string(event).map_err(|e| DbError::Corrupt {
            what: "history event",
            detail: e.to_string(),
        })?;
        self.lock().execute(
            "INSERT OR REPLACE INTO events VALUES (?1, ?2, ?3)",
            params![arn, event.id as i64, body],
        )?;
        Ok(())
    }

    /// The id of the execution's last recorded event (0 when none): where a restart continues.
    pub fn last_event_id(&self, arn: &str) -> Result<u64, DbError> {
        let last: Option<i64> = self.lock().query_row(
            "SELECT MAX(id) FROM events WHERE execution_arn = ?1",
            [arn],
            |row| row.get(0),
        )?;
        Ok(last.map_or(0, |id| id as u64))
    }

    pub fn events(&self, arn: &str) -> Result<Vec<HistoryEvent>, DbError> {
        let connection = self.lock();
        let mut statement =
            connection.prepare("SELECT body FROM events WHERE execution_arn = ?1 ORDER BY id")?;
        let bodies = statement.query_map([arn], |row| row.get::<_, String>(0))?;
        let mut events = Vec::new();
        for body in bodies {
            events.push(serde_json::from_str(&body?).map_err(|e| DbError::Corrupt {
                what: "history event",
                detail: e.to_string(),
            })?);
        }
        Ok(events)
    }

    pub fn insert_token(
        &self,
        token: &str,
        execution_arn: &str,
        state: &str,
        resource: &str,
        input: &str,
        created: f64,
    ) -> Result<(), DbError> {
        self.lock().execute(
            "INSERT OR REPLACE INTO task_tokens VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![token, execution_arn, state, resource, input, created],
        )?;
        Ok(())
    }

    pub fn token(&self, token: &str) -> Result<Option<TokenRecord>, DbError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT execution_arn, state FROM task_tokens WHERE token = ?1",
                [token],
                |row| {
                    Ok(TokenRecord {
                        execution_arn: row.get(0)?,
                        state: row.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    pub fn remove_token(&self, token: &str) -> Result<(), DbError> {
        self.lock()
            .execute("DELETE FROM task_tokens WHERE token = ?1", [token])?;
        Ok(())
    }

    pub fn memo(&self, execution_arn: &str, key: &str) -> Result<Option<String>, DbError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT result FROM memo WHERE execution_arn = ?1 AND key = ?2",
                [execution_arn, key],
                |row| row.get(0),
            )
            .optional()?)
    }

    pub fn remember(&self, execution_arn: &str, key: &str, result: &str) -> Result<(), DbError> {
        self.lock().execute(
            "INSERT OR REPLACE INTO memo VALUES (?1, ?2, ?3)",
            params![execution_arn, key, result],
        )?;
        Ok(())
    }

    pub fn add_log(
        &self,
        execution_arn: &str,
        log: &StepLog,
        result: Option<&str>,
    ) -> Result<(), DbError> {
        self.lock().execute(
            "INSERT INTO job_logs (execution_arn, state, label, text, result, started, stopped)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                execution_arn,
                log.state,
                log.label,
                log.text,
                result,
                log.started,
                log.stopped
            ],
        )?;
        Ok(())
    }

    pub fn logs(&self, execution_arn: &str) -> Result<Vec<StepLog>, DbError> {
        let connection = self.lock();
        let mut statement = connection.prepare(
            "SELECT state, label, text, result, started, stopped FROM job_logs
             WHERE execution_arn = ?1 ORDER BY seq",
        )?;
        let rows = statement.query_map([execution_arn], |row| {
            let result: Option<String> = row.get(3)?;
            Ok(StepLog {
                state: row.get(0)?,
                label: row.get(1)?,
                text: row.get(2)?,
                result: result.and_then(|text| serde_json::from_str(&text).ok()),
                started: row.get(4)?,
                stopped: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(arn: &str, started: f64) -> ExecutionInfo {
        ExecutionInfo {
            arn: arn.into(),
            name: arn.rsplit(':').next().unwrap_or_default().into(),
            machine_arn: "m".into(),
            status: Status::Running,
            input: "{}".into(),
            output: None,
            error: None,
            cause: None,
            started,
            stopped: None,
            redrive_count: 0,
            redrived: None,
        }
    }

    #[test]
    fn executions_survive_reopening_and_list_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("twin.sqlite");
        {
            let db = Db::open(&path).unwrap();
            db.insert_execution(&running("x:a", 1.0)).unwrap();
            db.insert_execution(&running("x:b", 2.0)).unwrap();
            db.finish(
                "x:a",
                &Ending {
                    status: Status::Failed,
                    output: None,
                    error: Some("E"),
                    cause: Some("C"),
                    stopped: 3.0,
                },
            )
            .unwrap();
        }
        let db = Db::open(&path).unwrap();
        let all: Vec<_> = db
            .executions(Some("m"), None)
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(all, ["b", "a"]);
        let failed = db.executions(None, Some(Status::Failed)).unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].error.as_deref(), Some("E"));
        db.redrive("x:a", 4.0).unwrap();
        let redriven = db.execution("x:a").unwrap().unwrap();
        assert_eq!(redriven.status, Status::Running);
        assert_eq!(redriven.redrive_count, 1);
        assert_eq!(redriven.error, None);
    }
}
