//! A few ONNX Runtime sessions shared by threads.
//!
//! `ort::Session::run` takes `&mut self`, so a session cannot serve two callers at
//! once. The encoders hold a small pool instead: each session behind its own mutex, a
//! caller takes the first free one (or waits for one), and batches of a large encoding
//! job run on several sessions at the same time. That makes every encoder `Send + Sync`
//! and lets e.g. two single-threaded sessions keep two cores busy on independent
//! batches, which beats one two-threaded session on small matrices.

use crate::error::{OnnxError, Result};
use crate::runtime;
use ort::session::Session;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Sessions over one graph file.
#[derive(Debug)]
pub struct SessionPool {
    sessions: Vec<Mutex<Session>>,
    graph: PathBuf,
    next: AtomicUsize,
    threads: usize,
}

impl SessionPool {
    /// `count` sessions over `graph`, each with `threads` intra-op threads.
    pub fn new(library: &Path, graph: &Path, count: usize, threads: usize) -> Result<SessionPool> {
        if count == 0 || threads == 0 {
            return Err(OnnxError::InvalidArgument(format!(
                "a session pool needs at least one session and one thread (got {count} × {threads})"
            )));
        }
        let sessions = (0..count)
            .map(|_| runtime::session(library, graph, threads).map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
        Ok(SessionPool {
            sessions,
            graph: graph.to_path_buf(),
            next: AtomicUsize::new(0),
            threads,
        })
    }

    /// Number of sessions (batches that can run at once).
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether the pool is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Intra-op threads of each session.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The graph file the sessions run.
    pub fn graph(&self) -> &Path {
        &self.graph
    }

    /// Runs `f` on a free session, waiting for one if all are busy.
    pub fn with_session<T>(&self, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        let n = self.sessions.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Ok(mut s) = self.sessions[(start + i) % n].try_lock() {
                return f(&mut s);
            }
        }
        // All busy: wait on one. A poisoned lock only means another caller panicked
        // mid-run; the session itself holds no half-updated state of ours.
        let mut s = self.sessions[start % n]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        f(&mut s)
    }
}
