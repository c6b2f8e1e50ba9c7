//! A loopback TCP proxy with an on/off switch, for the outbox-drain scenario: a real client
//! core reaches the server through it, works offline while it is off (connections are refused
//! and open ones cut), and reconnects by itself when it is on again. The same idea as the e2e
//! harness's proxy, cut down to what the benchmark needs.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running switchable proxy; dropping it stops accepting.
pub struct SwitchProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    online: Arc<AtomicBool>,
    connections: Arc<AtomicU64>,
    cut: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl SwitchProxy {
    /// Starts a proxy to `target` on a free loopback port, switched on.
    pub async fn start(target: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let online = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(AtomicU64::new(0));
        let cut = watch::channel(0u64).0;
        let (on, count, cuts) = (online.clone(), connections.clone(), cut.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                if !on.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let mut rx = cuts.subscribe();
                tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = rx.changed() => {}
                        }
                    }
                });
            }
        });
        Ok(Self {
            addr,
            online,
            connections,
            cut,
            task,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Switches the link on or off (off also cuts every open connection).
    pub fn set_online(&self, online: bool) {
        self.online.store(online, Ordering::SeqCst);
        if !online {
            self.cut.send_modify(|g| *g += 1);
        }
    }

    /// Connections accepted so far (refused ones included).
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for SwitchProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut.send_modify(|g| *g += 1);
    }
}
