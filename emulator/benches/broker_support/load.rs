//! The load generator: rumqttc 3.1.1 clients over TLS, the same code for both brokers.
//! Fan-out (one publisher, N subscribers on one topic) and connects per second.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, EventLoop, Incoming, Outgoing, QoS};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Target;

/// Warm-up before the measured window starts.
const WARMUP: Duration = Duration::from_millis(500);
/// The measured window of every row.
pub const WINDOW: Duration = Duration::from_secs(2);
/// Bytes of every published payload.
const PAYLOAD: usize = 64;

/// Rates over the measured window, and the first error a client saw (if any).
#[derive(Debug, Default, Clone)]
pub struct Rates {
    pub published: f64,
    pub delivered: f64,
    /// Of every message published during the row (warm-up included) times the number of
    /// subscribers, the share that arrived once the broker's backlog had drained.
    pub arrived: Option<f64>,
    pub error: Option<String>,
}

/// The first error any client of a row saw before the row closed its clients.
#[derive(Clone, Default)]
pub struct FirstError {
    first: Arc<Mutex<Option<String>>>,
    closing: Arc<AtomicBool>,
}

impl FirstError {
    pub fn record(&self, e: impl std::fmt::Display) {
        if self.closing.load(Ordering::Relaxed) {
            return;
        }
        let mut slot = self.first.lock().expect("error slot");
        slot.get_or_insert_with(|| e.to_string());
    }
    pub fn take(&self) -> Option<String> {
        self.first.lock().expect("error slot").take()
    }
}

type Clients = Vec<(AsyncClient, JoinHandle<()>)>;

/// One publisher, `subscribers` subscribers on one topic at `qos`; messages delivered
/// (summed over subscribers) per second over [`WINDOW`].
pub async fn fan_out(target: &Target, qos: QoS, subscribers: usize, tag: &str) -> Rates {
    let topic = format!("bench/{tag}");
    let errors = FirstError::default();
    let delivered = Arc::new(AtomicU64::new(0));
    let mut clients = subscribe_all(target, &topic, qos, subscribers, &delivered, &errors).await;
    let published = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (client, eventloop) = AsyncClient::new(target.options(&format!("{tag}-p")), 100);
    let events = tokio::spawn(publisher_events(
        eventloop,
        published.clone(),
        errors.clone(),
    ));
    let publishing = tokio::spawn(publish_loop(client.clone(), topic, qos, stop.clone()));
    clients.push((client, events));

    let counts = || {
        (
            published.load(Ordering::Relaxed),
            delivered.load(Ordering::Relaxed),
            Instant::now(),
        )
    };
    tokio::time::sleep(WARMUP).await;
    let (p0, d0, t0) = counts();
    tokio::time::sleep(WINDOW).await;
    let (p1, d1, t1) = counts();
    stop.store(true, Ordering::Relaxed);
    let _ = publishing.await;
    drain(&delivered).await;
    close(clients, &errors).await;
    let secs = (t1 - t0).as_secs_f64();
    let expected = published.load(Ordering::Relaxed) * subscribers as u64;
    let arrived = delivered.load(Ordering::Relaxed) as f64 / expected as f64;
    Rates {
        published: (p1 - p0) as f64 / secs,
        delivered: (d1 - d0) as f64 / secs,
        arrived: (expected > 0).then_some(arrived),
        error: errors.take(),
    }
}

/// Connects `count` subscribers to `topic` and waits for every SUBACK (or for every
/// subscriber that failed to give up).
async fn subscribe_all(
    target: &Target,
    topic: &str,
    qos: QoS,
    count: usize,
    delivered: &Arc<AtomicU64>,
    errors: &FirstError,
) -> Clients {
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let mut clients = Vec::new();
    for i in 0..count {
        let id = format!("{}-s{i}", topic.replace('/', "-"));
        let (client, eventloop) = AsyncClient::new(target.options(&id), 16);
        client
            .subscribe(topic, qos)
            .await
            .expect("subscribe queued");
        let (counter, ready, errors) = (delivered.clone(), ready_tx.clone(), errors.clone());
        let task = tokio::spawn(subscriber(eventloop, counter, ready, errors));
        clients.push((client, task));
    }
    drop(ready_tx);
    for _ in 0..count {
        if ready_rx.recv().await.is_none() {
            break;
        }
    }
    clients
}

async fn subscriber(
    mut eventloop: EventLoop,
    delivered: Arc<AtomicU64>,
    ready: mpsc::UnboundedSender<()>,
    errors: FirstError,
) {
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Incoming::Publish(_))) => {
                delivered.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Event::Incoming(Incoming::SubAck(_))) => {
                let _ = ready.send(());
            }
            Ok(_) => {}
            Err(e) => return errors.record(format!("subscriber: {e}")),
        }
    }
}

async fn publisher_events(mut eventloop: EventLoop, published: Arc<AtomicU64>, errors: FirstError) {
    loop {
        match eventloop.poll().await {
            Ok(Event::Outgoing(Outgoing::Publish(_))) => {
                published.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) => {}
            Err(e) => return errors.record(format!("publisher: {e}")),
        }
    }
}

/// Publishes as fast as the client takes requests (at QoS 1 its in-flight window of 100
/// unacknowledged messages holds it back) until `stop`.
async fn publish_loop(client: AsyncClient, topic: String, qos: QoS, stop: Arc<AtomicBool>) {
    let payload = vec![b'x'; PAYLOAD];
    while !stop.load(Ordering::Relaxed) {
        if client
            .publish(&topic, qos, false, payload.clone())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Waits (up to 5 s) until deliveries stop arriving, so a broker's backlog from one row
/// doesn't run into the next.
async fn drain(delivered: &AtomicU64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last = delivered.load(Ordering::Relaxed);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = delivered.load(Ordering::Relaxed);
        if now == last {
            return;
        }
        last = now;
    }
}

/// Sends DISCONNECT on every client, gives the event loops a moment to write it, then
/// stops them. Errors from here on are the disconnect's own and are not recorded.
async fn close(clients: Clients, errors: &FirstError) {
    errors.closing.store(true, Ordering::Relaxed);
    for (client, _) in &clients {
        let _ = client.try_disconnect();
    }
    for (_, mut task) in clients {
        if tokio::time::timeout(Duration::from_secs(2), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// Connections per second over [`WINDOW`] by `workers` concurrent connectors, each
/// connect a full TLS handshake with client authentication, CONNECT/CONNACK and
/// DISCONNECT. `delivered` counts completed connects.
pub async fn connects(target: &Target, workers: usize, tag: &str) -> Rates {
    let errors = FirstError::default();
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (target, done, failed, errors) =
            (target.clone(), done.clone(), failed.clone(), errors.clone());
        let tag = format!("{tag}-w{w}");
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while start.elapsed() < WINDOW {
                match connect_once(&target, &format!("{tag}-{n}")).await {
                    Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        errors.record(e);
                        failed.fetch_add(1, Ordering::Relaxed)
                    }
                };
                n += 1;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let secs = start.elapsed().as_secs_f64();
    let failed = failed.load(Ordering::Relaxed);
    Rates {
        published: 0.0,
        arrived: None,
        delivered: done.load(Ordering::Relaxed) as f64 / secs,
        error: errors
            .take()
            .map(|e| format!("{failed} failed; first: {e}")),
    }
}

/// Connects `client_id` and waits for the CONNACK; the event loop is returned still
/// connected (the caller keeps polling it or drops it).
pub async fn connect(target: &Target, client_id: &str) -> Result<(AsyncClient, EventLoop), String> {
    let (client, mut eventloop) = AsyncClient::new(target.options(client_id), 4);
    let connack = async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Incoming::ConnAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(format!("connect: {e}")),
            }
        }
    };
    match tokio::time::timeout(Duration::from_secs(10), connack).await {
        Ok(Ok(())) => Ok((client, eventloop)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err("connect: no CONNACK within 10 s".into()),
    }
}

async fn connect_once(target: &Target, client_id: &str) -> Result<(), String> {
    let (client, mut eventloop) = connect(target, client_id).await?;
    client.try_disconnect().map_err(|e| e.to_string())?;
    let sent = async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Outgoing(Outgoing::Disconnect)) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(format!("disconnect: {e}")),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), sent)
        .await
        .map_err(|_| "disconnect: not sent within 10 s".to_string())?
}
