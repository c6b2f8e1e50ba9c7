//! A TCP proxy on loopback that a test or benchmark controls: pass traffic through, delay it,
//! refuse connections (the link is down), cut every open connection, or cut a connection in the
//! middle of a chosen response. Stands between a client core and the real server: the fault
//! tests (`tests/tests/faults.rs`, through `medoffice_e2e::proxy`) and the outbox-drain
//! scenario use it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Default)]
struct Control {
    offline: bool,
    delay: Duration,
    /// Cut the connection after half of the next server→client chunk containing this text,
    /// this many times.
    cut_on: Option<(Vec<u8>, usize)>,
    cuts_done: usize,
    connections: usize,
    /// Where new connections go instead of the first target (another server now).
    target: Option<SocketAddr>,
}

/// A running proxy. Dropping it stops accepting; open connections end with it.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    control: Arc<Mutex<Control>>,
    generation: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy to `target` on a free loopback port.
    pub async fn start(target: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let control = Arc::new(Mutex::new(Control::default()));
        let generation = watch::channel(0u64).0;
        let (c, g) = (control.clone(), generation.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (offline, to) = {
                    let mut c = c.lock().unwrap_or_else(|p| p.into_inner());
                    c.connections += 1;
                    (c.offline, c.target.unwrap_or(target))
                };
                if offline {
                    // the link is down: the connection opens and dies at once
                    drop(client);
                    continue;
                }
                let (c, rx) = (c.clone(), g.subscribe());
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(to).await {
                        pump(client, server, c, rx).await;
                    }
                });
            }
        });
        Ok(Self {
            addr,
            control,
            generation,
            task,
        })
    }

    /// Sends new connections to `target` from now on (the server moved: a restored one) and
    /// cuts the open ones, as a switch of the address behind a name would.
    pub fn set_target(&self, target: SocketAddr) {
        self.with(|c| c.target = Some(target));
        self.cut_all();
    }

    /// `http://` URL of the proxy.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn with<R>(&self, f: impl FnOnce(&mut Control) -> R) -> R {
        f(&mut self.control.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Link up or down. Going down cuts every open connection and refuses new ones.
    pub fn set_online(&self, online: bool) {
        self.with(|c| c.offline = !online);
        if !online {
            self.cut_all();
        }
    }

    /// Delay every chunk in both directions by `d`.
    pub fn set_delay(&self, d: Duration) {
        self.with(|c| c.delay = d);
    }

    /// Cuts every open connection (each side sees the connection reset mid-stream).
    pub fn cut_all(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    /// The next `times` server→client chunks containing `needle` are cut in the middle: half
    /// is delivered, then both connections close.
    pub fn cut_response_containing(&self, needle: &str, times: usize) {
        self.with(|c| {
            c.cut_on = Some((needle.as_bytes().to_vec(), times));
            c.cuts_done = 0;
        });
    }

    /// How many responses were cut so far.
    pub fn cuts_done(&self) -> usize {
        self.with(|c| c.cuts_done)
    }

    /// Connections accepted so far (refused ones included).
    pub fn connections(&self) -> usize {
        self.with(|c| c.connections)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut_all();
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

async fn pump(
    client: TcpStream,
    server: TcpStream,
    control: Arc<Mutex<Control>>,
    mut cut: watch::Receiver<u64>,
) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let delay = |c: &Arc<Mutex<Control>>| c.lock().map(|c| c.delay).unwrap_or_default();
    let up_control = control.clone();
    let up = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let d = delay(&up_control);
            if !d.is_zero() {
                tokio::time::sleep(d).await;
            }
            if sw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let d = delay(&control);
            if !d.is_zero() {
                tokio::time::sleep(d).await;
            }
            let cut_here = {
                let mut c = control.lock().unwrap_or_else(|p| p.into_inner());
                let hit = match &c.cut_on {
                    Some((needle, times)) => c.cuts_done < *times && contains(&buf[..n], needle),
                    None => false,
                };
                if hit {
                    c.cuts_done += 1;
                }
                hit
            };
            if cut_here {
                let _ = cw.write_all(&buf[..n / 2]).await;
                break;
            }
            if cw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
        _ = cut.changed() => {}
    }
}
