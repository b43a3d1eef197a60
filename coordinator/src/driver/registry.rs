//! The local registry directory: how coordinators started on one machine
//! without `--peer` find each other. Each writes a file named after its id,
//! holding its address, at start, and removes it at exit (Ctrl-C included;
//! a killed process leaves its file, and is then simply a peer that is
//! down). Simulated miners can read the same directory to find coordinators.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use protocol::CoordinatorId;

/// The default directory: `coordinator-registry` in the system's temp dir.
pub fn default_dir() -> PathBuf {
    std::env::temp_dir().join("coordinator-registry")
}

/// A registry directory.
#[derive(Clone, Debug)]
pub struct Registry {
    dir: PathBuf,
}

/// Removes this node's entry when dropped.
#[derive(Debug)]
pub struct Registration {
    path: PathBuf,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Registry {
    /// The registry in `dir` (created if missing).
    pub fn open(dir: &Path) -> io::Result<Registry> {
        std::fs::create_dir_all(dir)?;
        Ok(Registry {
            dir: dir.to_path_buf(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes this node's entry atomically (write, then rename).
    pub fn register(&self, id: CoordinatorId, addr: SocketAddr) -> io::Result<Registration> {
        let path = self.dir.join(format!("{}.addr", id.0));
        let tmp = self
            .dir
            .join(format!(".{}.addr.{}", id.0, std::process::id()));
        std::fs::write(&tmp, format!("{addr}\n"))?;
        std::fs::rename(&tmp, &path)?;
        Ok(Registration { path })
    }

    /// Every entry. Files that are not entries, or do not parse, are skipped.
    pub fn scan(&self) -> Vec<(CoordinatorId, SocketAddr)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<_> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let id: u16 = name.strip_suffix(".addr")?.parse().ok()?;
                let text = std::fs::read_to_string(e.path()).ok()?;
                let addr: SocketAddr = text.trim().parse().ok()?;
                (id != 0).then_some((CoordinatorId(id), addr))
            })
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_and_go() {
        let dir = std::env::temp_dir().join(format!("registry-test-{}", std::process::id()));
        let reg = Registry::open(&dir).unwrap();
        let a: SocketAddr = "127.0.0.1:7411".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:7412".parse().unwrap();
        let ga = reg.register(CoordinatorId(1), a).unwrap();
        let gb = reg.register(CoordinatorId(2), b).unwrap();
        std::fs::write(dir.join("junk.addr"), "nope").unwrap();
        std::fs::write(dir.join("3.addr"), "not an address").unwrap();
        assert_eq!(
            reg.scan(),
            vec![(CoordinatorId(1), a), (CoordinatorId(2), b)]
        );
        drop(gb);
        assert_eq!(reg.scan(), vec![(CoordinatorId(1), a)]);
        drop(ga);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
