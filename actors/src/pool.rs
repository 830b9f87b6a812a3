//! The prover worker pool: heavy proving runs on crossbeam worker threads while the
//! single-threaded actor system goes on. A job's result re-enters the event queue at
//! its simulated completion time; the driver waits for the real proof before passing
//! that time, so how long the machine takes never changes the outcome. Wall-clock
//! proving time is recorded apart from the report.

use std::collections::BTreeMap;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam::channel::{unbounded, Receiver, Sender};
use zkarena_harness::zk::{Proof, ProofMode, Prover};

use crate::msg::{ProofFailure, ProveJob};

type JobResult = (u64, Result<Proof, ProofFailure>);

/// Worker threads proving batches.
pub struct ProverPool {
    jobs: Option<Sender<(u64, ProveJob)>>,
    results: Receiver<JobResult>,
    done: BTreeMap<u64, Result<Proof, ProofFailure>>,
    workers: Vec<JoinHandle<()>>,
    next: u64,
    /// Wall-clock time spent proving, per finished job (benchmarks only).
    pub wall: Vec<Duration>,
}

impl ProverPool {
    /// A pool of `threads` workers proving in `mode`. With `jitter_seed`, each worker
    /// sleeps a random 0-40 ms of wall-clock time before handing a result back, so that
    /// tests can check that finishing order does not matter.
    pub fn new(threads: usize, mode: ProofMode, jitter_seed: Option<u64>) -> Self {
        let (jobs, job_rx) = unbounded::<(u64, ProveJob)>();
        let (res_tx, results) = unbounded();
        let workers = (0..threads.max(1))
            .map(|i| {
                let job_rx = job_rx.clone();
                let res_tx = res_tx.clone();
                std::thread::Builder::new()
                    .name(format!("prover-{i}"))
                    .spawn(move || {
                        let prover = Prover::new(mode);
                        let mut jitter = jitter_seed.map(|s| {
                            zkarena_harness::sim::SimRng::stream(s, &format!("jitter-{i}"))
                        });
                        for (id, job) in job_rx {
                            if let Some(rng) = jitter.as_mut() {
                                std::thread::sleep(Duration::from_millis(rng.below(41)));
                            }
                            // A panic here is a defect: it goes back as a result (the
                            // driver stops the run on it) and the worker lives on.
                            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                prover.prove_batch(
                                    job.depth,
                                    &job.outcome,
                                    job.batch_in,
                                    job.withdrawals_in,
                                    job.binding,
                                )
                            }))
                            .map_err(|payload| ProofFailure::ProverBroke(panic_text(&payload)))
                            .and_then(|r| r.map_err(ProofFailure::Zk));
                            if res_tx.send((id, r)).is_err() {
                                break;
                            }
                        }
                    })
                    .expect("spawning a prover thread")
            })
            .collect();
        Self {
            jobs: Some(jobs),
            results,
            done: BTreeMap::new(),
            workers,
            next: 0,
            wall: Vec::new(),
        }
    }

    /// Queues a job; returns its id.
    pub fn submit(&mut self, job: ProveJob) -> u64 {
        let id = self.next;
        self.next += 1;
        self.jobs
            .as_ref()
            .expect("pool is open")
            .send((id, job))
            .expect("prover threads are alive");
        id
    }

    /// Blocks until job `id` is done and returns its result.
    pub fn wait(&mut self, id: u64) -> Result<Proof, ProofFailure> {
        loop {
            if let Some(r) = self.done.remove(&id) {
                if let Ok(p) = &r {
                    self.wall.push(p.wall);
                }
                return r;
            }
            match self.results.recv() {
                Ok((i, r)) => {
                    self.done.insert(i, r);
                }
                Err(_) => return Err(ProofFailure::PoolStopped),
            }
        }
    }
}

/// The text of a panic's payload.
pub fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".into())
}

impl Drop for ProverPool {
    fn drop(&mut self) {
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}
