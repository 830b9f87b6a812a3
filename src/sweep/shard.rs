//! Sharding a sweep across machines with the scheduler people already run: shard `i` of
//! `N` takes the runs whose index is `i` modulo `N` (interleaved, so every shard gets a
//! share of each scenario), writes them to `shard-<i>-of-<N>.jsonl` with the
//! self-contained plan as its first line, and `zkarena sweep merge` joins the shards
//! into exactly the bytes one machine gives. The index comes from `--shard i/N`, from a
//! Slurm job array submitted as a range (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_MIN`,
//! `SLURM_ARRAY_TASK_STEP`, `SLURM_ARRAY_TASK_COUNT`) or from a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`,
//! with the count in `JOB_COMPLETIONS`, which the manifest sets beside `completions`).

use std::fmt;
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::exec::RunRow;
use super::plan::{Plan, MAX_RUNS};

/// Most shards of one sweep.
pub const MAX_SHARDS: usize = 10_000;

/// Which part of a sweep this process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Index, 0-based.
    pub index: usize,
    /// Shards in all.
    pub count: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `i/N` (0 <= i < N <= [`MAX_SHARDS`]).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not `index/count`"))?;
        let number = |s: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| format!("`{text}`: `{s}` is not a whole number"))
        };
        Shard::new(number(i)?, number(n)?)
    }

    fn new(index: usize, count: usize) -> Result<Shard, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!("{count} shards: a sweep has 1..={MAX_SHARDS}"));
        }
        if index >= count {
            return Err(format!(
                "shard {index} of {count}: shards count from 0 to {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// The shard a scheduler's environment names, and which scheduler: Slurm's job
    /// array first, then Kubernetes' Indexed Job; None outside both.
    pub fn from_env(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<(Shard, &'static str)>, String> {
        let number = |name: &str| -> Result<Option<usize>, String> {
            var(name)
                .map(|v| {
                    v.trim()
                        .parse::<usize>()
                        .map_err(|_| format!("{name}={v} is not a whole number"))
                })
                .transpose()
        };
        if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let count = number("SLURM_ARRAY_TASK_COUNT")?
                .ok_or("SLURM_ARRAY_TASK_ID is set without SLURM_ARRAY_TASK_COUNT")?;
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            // An array `a-b` or `a-b:s`: task ids min, min + step, ...
            let offset = id
                .checked_sub(min)
                .filter(|o| o % step == 0)
                .ok_or_else(|| {
                    format!(
                    "SLURM_ARRAY_TASK_ID {id} is not SLURM_ARRAY_TASK_MIN {min} plus a multiple of \
                     the step {step} (submit the array as a range `a-b` or `a-b:s`)"
                )
                })?;
            return Ok(Some((Shard::new(offset / step, count)?, "Slurm job array")));
        }
        if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let count = number("JOB_COMPLETIONS")?.ok_or(
                "JOB_COMPLETION_INDEX is set without JOB_COMPLETIONS (set it beside the Job's `completions`)",
            )?;
            return Ok(Some((Shard::new(index, count)?, "Kubernetes Indexed Job")));
        }
        Ok(None)
    }

    /// The run indices of this shard among `total`.
    pub fn indices(self, total: usize) -> impl Iterator<Item = usize> {
        (self.index..total).step_by(self.count)
    }

    /// Its file's name.
    pub fn file_name(self) -> String {
        format!("shard-{}-of-{}.jsonl", self.index, self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A shard file's first line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardHeader {
    /// Which shard.
    pub shard: Shard,
    /// Runs in the whole sweep.
    pub total: usize,
    /// The self-contained plan.
    pub plan: Plan,
}

/// Why shards could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A file could not be read.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// A line is not what a shard file holds.
    #[error("{file}:{line}: {message}")]
    Malformed {
        /// File.
        file: String,
        /// Line (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The shards do not make one sweep.
    #[error("{0}")]
    Mismatch(String),
}

/// Writes a shard's file in `out`.
pub fn write(out: &Path, header: &ShardHeader, rows: &[RunRow]) -> std::io::Result<PathBuf> {
    let path = out.join(header.shard.file_name());
    // Written aside and renamed: a merge never sees half a shard.
    let partial = out.join(format!(".{}.partial", header.shard.file_name()));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&partial)?);
    writeln!(
        f,
        "{}",
        serde_json::to_string(header).map_err(std::io::Error::other)?
    )?;
    for r in rows {
        writeln!(
            f,
            "{}",
            serde_json::to_string(r).map_err(std::io::Error::other)?
        )?;
    }
    f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

/// Reads every `shard-*-of-*.jsonl` in `dirs` and checks that they are the shards
/// 0..N of one plan with every run exactly once: the plan and the rows by run index.
pub fn merge(dirs: &[PathBuf]) -> Result<(Plan, Vec<RunRow>), MergeError> {
    let mut files = Vec::new();
    for dir in dirs {
        let entries =
            std::fs::read_dir(dir).map_err(|e| MergeError::Io(dir.display().to_string(), e))?;
        for e in entries {
            let path = e
                .map_err(|e| MergeError::Io(dir.display().to_string(), e))?
                .path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with("shard-") && name.ends_with(".jsonl") {
                files.push(path);
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(MergeError::Mismatch(format!(
            "no shard-*-of-*.jsonl file in {}",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut first: Option<ShardHeader> = None;
    let mut seen = Vec::new();
    let mut rows: Vec<Option<RunRow>> = Vec::new();
    for path in &files {
        let (header, shard_rows) = read(path)?;
        let file = path.display().to_string();
        // A header is input like any other: its sizes are bounded before they size
        // anything.
        let Shard { index, count } = header.shard;
        if count == 0 || count > MAX_SHARDS || index >= count || header.total > MAX_RUNS as usize {
            return Err(MergeError::Mismatch(format!(
                "{file}: shard {index} of {count} of {} runs is not a shard zkarena writes",
                header.total
            )));
        }
        let expected = first.get_or_insert_with(|| header.clone());
        if header.plan != expected.plan
            || header.total != expected.total
            || header.shard.count != expected.shard.count
        {
            return Err(MergeError::Mismatch(format!(
                "{file} is a shard of another sweep than {} (plan, run count or shard count differ)",
                files[0].display()
            )));
        }
        if seen.contains(&header.shard.index) {
            return Err(MergeError::Mismatch(format!(
                "shard {} appears twice ({file})",
                header.shard
            )));
        }
        seen.push(header.shard.index);
        rows.resize(header.total, None);
        let wanted: Vec<usize> = header.shard.indices(header.total).collect();
        let got: Vec<usize> = shard_rows.iter().map(|r| r.run).collect();
        if wanted != got {
            return Err(MergeError::Mismatch(format!(
                "{file} holds {} runs, shard {} of {} runs has {} (a shard that stopped early?)",
                got.len(),
                header.shard,
                header.total,
                wanted.len()
            )));
        }
        for r in shard_rows {
            let index = r.run;
            rows[index] = Some(r);
        }
    }
    let header = first.expect("at least one file");
    let missing: Vec<String> = (0..header.shard.count)
        .filter(|i| !seen.contains(i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Mismatch(format!(
            "shards {} of {} are missing",
            missing.join(", "),
            header.shard.count
        )));
    }
    Ok((
        header.plan,
        rows.into_iter()
            .map(|r| r.expect("every run checked"))
            .collect(),
    ))
}

fn read(path: &Path) -> Result<(ShardHeader, Vec<RunRow>), MergeError> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| MergeError::Io(file.clone(), e))?;
    let mut header = None;
    let mut rows = Vec::new();
    for (k, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| MergeError::Io(file.clone(), e))?;
        let malformed = |e: serde_json::Error| MergeError::Malformed {
            file: file.clone(),
            line: k + 1,
            message: e.to_string(),
        };
        if k == 0 {
            header = Some(serde_json::from_str::<ShardHeader>(&line).map_err(malformed)?);
        } else {
            rows.push(serde_json::from_str::<RunRow>(&line).map_err(malformed)?);
        }
    }
    let header = header.ok_or_else(|| MergeError::Malformed {
        file,
        line: 1,
        message: "an empty file (no header)".into(),
    })?;
    Ok((header, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shards_split_the_runs_without_overlap_or_gap() {
        let total = 23;
        let mut all: Vec<usize> = (0..4)
            .flat_map(|i| Shard { index: i, count: 4 }.indices(total))
            .collect();
        all.sort();
        assert_eq!(all, (0..total).collect::<Vec<_>>());
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["4/4", "1/0", "x/2", "3", "-1/2", "0/10001"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_row_comes_back_from_its_shard_file_bit_for_bit() {
        // Merged shards give one machine's bytes only if every f64 survives the trip
        // through JSON (serde_json's `float_roundtrip`).
        let mut metrics = serde_json::Map::new();
        for (k, v) in [
            ("big", 1.234_567_890_123_456_7e21),
            ("sum", 0.1 + 0.2),
            ("tiny", 5e-324),
            ("third", 1.0 / 3.0),
            ("wei", 123_456_789_012_345_680_000.0),
        ] {
            metrics.insert(k.into(), serde_json::Number::from_f64(v).unwrap().into());
        }
        let row = RunRow {
            run: 3,
            cell: 1,
            seed: u64::MAX,
            status: super::super::exec::RunStatus::Passed,
            invariants_held: true,
            error: None,
            metrics,
        };
        let back: RunRow = serde_json::from_str(&serde_json::to_string(&row).unwrap()).unwrap();
        for (k, v) in &row.metrics {
            assert_eq!(
                back.metrics[k].as_f64().unwrap().to_bits(),
                v.as_f64().unwrap().to_bits(),
                "{k}"
            );
        }
        assert_eq!(back, row);
    }

    #[test]
    fn the_index_comes_from_slurm_or_kubernetes() {
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(
            Shard::from_env(env(&slurm)),
            Ok(Some((Shard { index: 2, count: 4 }, "Slurm job array")))
        );
        let k8s = [("JOB_COMPLETION_INDEX", "0"), ("JOB_COMPLETIONS", "2")];
        assert_eq!(
            Shard::from_env(env(&k8s)),
            Ok(Some((
                Shard { index: 0, count: 2 },
                "Kubernetes Indexed Job"
            )))
        );
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(
            Shard::from_env(env(&stepped)),
            Ok(Some((Shard { index: 3, count: 4 }, "Slurm job array")))
        );
        let off_step = [
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert!(Shard::from_env(env(&off_step))
            .unwrap_err()
            .contains("a range"));
        assert_eq!(Shard::from_env(env(&[])), Ok(None));
        let e = Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "1")])).unwrap_err();
        assert!(e.contains("JOB_COMPLETIONS"), "{e}");
        let e = Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]))
        .unwrap_err();
        assert!(e.contains("shard 5 of 4"), "{e}");
    }
}
