//! A cache this computer cannot write (issue 11): a full or failing disk is not the network.
//! The status says `cache_failed` with what to do (never `offline`), the sync engine stops
//! instead of retrying, a command that writes answers `local_cache`, and the queue is kept.
//!
//! How the cache is made unwritable: the tests run as root, for whom file modes count for
//! nothing, so the cache's files get ext4's immutable flag (`chattr +i`). The kernel then
//! refuses every write to them with EPERM, to root too and through descriptors opened before
//! (SQLite keeps its files open), as a disk gone read-only would; SQLite reports a disk I/O
//! error. The scratch folder is under the build's own temporary folder (`CARGO_TARGET_TMPDIR`,
//! on the build disk), not `/tmp`, which may be a tmpfs without the flag.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use medoffice_client::view::{ConnectionState, ErrorCode};
use medoffice_client::Workstation;
use medoffice_e2e::{new_patient, wait_for, workstation_config, System, PASSWORD};

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Files made immutable for as long as this lives (then writable again, so the scratch folder
/// can be removed even when the test fails).
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(files: Vec<PathBuf>) -> anyhow::Result<Self> {
        let mut guard = Immutable(Vec::new());
        for f in files {
            let out = Command::new("chattr").arg("+i").arg(&f).output()?;
            anyhow::ensure!(
                out.status.success(),
                "chattr +i {} failed (this test needs a filesystem with the immutable flag, \
                 e.g. ext4, and root): {}",
                f.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            guard.0.push(f);
        }
        Ok(guard)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for f in &self.0 {
            let _ = Command::new("chattr").arg("-i").arg(f).status();
        }
    }
}

/// The cache file and its write-ahead log.
fn cache_files(path: &Path) -> Vec<PathBuf> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    [path.to_path_buf(), PathBuf::from(wal)]
        .into_iter()
        .filter(|f| f.exists())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cache_this_computer_cannot_write_is_said_so_and_not_retried() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("diskfail", "UTC").await?;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let ws = Workstation::open(workstation_config(dir.path(), "nurse")).map_err(err)?;
    ws.login(&sys.server.url(), "diskfail", "nurse", PASSWORD)
        .await
        .map_err(err)?;
    wait_for(Duration::from_secs(30), || async {
        ws.status().state == ConnectionState::Online
    })
    .await?;

    let files = cache_files(&ws.cache_path(tenant));
    assert!(!files.is_empty(), "the cache file exists");
    let _unwritable = Immutable::set(files)?;

    // a write answers as what it is, with what to do
    let refused = ws
        .register_patient(new_patient("Dana", "Disk"))
        .await
        .expect_err("the outbox cannot be written");
    assert_eq!(refused.code, ErrorCode::LocalCache, "{refused:?}");
    assert!(
        refused.message.contains("Free disk space or ask IT"),
        "{}",
        refused.message
    );

    // a change made elsewhere arrives; the engine cannot store it: it says so and stops
    let (other, _other_dir) = sys.workstation("diskfail", "reception").await?;
    other
        .register_patient(new_patient("Rita", "Remote"))
        .await
        .map_err(err)?;
    wait_for(Duration::from_secs(30), || async {
        ws.status().state != ConnectionState::Online
    })
    .await?;
    let st = ws.status();
    assert_eq!(st.state, ConnectionState::CacheFailed, "{st:?}");
    assert_eq!(st.offline_since, None, "not offline: {st:?}");
    let said = st.last_error.clone().unwrap_or_default();
    assert!(
        said.contains("cannot write its local copy") && said.contains("still queued"),
        "{said}"
    );
    assert!(!st.sign_in_required, "{st:?}");

    // and does not spin: a retry would say `syncing` within a second (backoff starts at
    // 250 ms); nothing changes in three
    let mut rx = ws.subscribe_status();
    rx.borrow_and_update();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !rx.has_changed()?,
        "the engine retried: {:?}",
        rx.borrow().clone()
    );
    assert_eq!(ws.status().state, ConnectionState::CacheFailed);

    // asked to sync by hand, the same words, not "offline"
    let again = ws.sync_now().await.expect_err("still unwritable");
    assert_eq!(again.code, ErrorCode::LocalCache, "{again:?}");

    other.close().await;
    ws.close().await;
    Ok(())
}
