//! `dd [if=F] [of=F] [bs=N] [ibs=N] [obs=N] [count=N] [skip=N] [seek=N]
//! [conv=notrunc,sync,noerror,fsync] [status=none|noxfer]`: copy a file
//! block by block, converting as asked.

use crate::common::{error_msg, getopt, lossy, perror, Exit};
use crate::fsutil::{self, show};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Instant;

pub const USAGE: &str = "[if=FILE] [of=FILE] [ibs=N obs=N/bs=N] [count=N] [skip=N] [seek=N]\n\t[conv=notrunc|noerror|sync|fsync] [status=noxfer|none]\n\nCopy a file with converting and formatting\n\n\tif=FILE\t\tRead from FILE instead of stdin\n\tof=FILE\t\tWrite to FILE instead of stdout\n\tbs=N\t\tRead and write N bytes at a time\n\tibs=N\t\tRead N bytes at a time\n\tobs=N\t\tWrite N bytes at a time\n\tcount=N\t\tCopy only N input blocks\n\tskip=N\t\tSkip N input blocks\n\tseek=N\t\tSkip N output blocks\n\tconv=notrunc\tDon't truncate output file\n\tconv=noerror\tContinue after read errors\n\tconv=sync\tPad blocks with zeros\n\tconv=fsync\tPhysically write data out before finishing\n\tstatus=noxfer\tSuppress rate output\n\tstatus=none\tSuppress all output\n\nN may be suffixed by c (1), w (2), b (512), kB (1000), k (1024), MB, M, GB, G";

/// What the command line asks for.
struct Job {
    input: Option<OsString>,
    output: Option<OsString>,
    ibs: usize,
    obs: usize,
    count: Option<u64>,
    skip: u64,
    seek: u64,
    notrunc: bool,
    sync: bool,
    noerror: bool,
    fsync: bool,
    /// 0: full report, 1: no transfer line, 2: nothing.
    quiet: u8,
}

/// Records and bytes moved so far, for the report.
#[derive(Default)]
struct Stats {
    in_full: u64,
    in_part: u64,
    out_full: u64,
    out_part: u64,
    bytes: u64,
}

/// Entry point: `dd [OPERAND]...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let job = match parse(&p.operands) {
        Some(job) => job,
        None => return 1,
    };
    // As in BusyBox, a file that cannot be opened ends dd before any
    // report is due.
    let Some(input) = open(
        job.input.as_ref(),
        io::stdin().as_fd().try_clone_to_owned(),
        &job,
        false,
    ) else {
        return 1;
    };
    let Some(output) = open(
        job.output.as_ref(),
        io::stdout().as_fd().try_clone_to_owned(),
        &job,
        true,
    ) else {
        return 1;
    };
    let start = Instant::now();
    let mut stats = Stats::default();
    let status = run(&job, input, output, &mut stats);
    if job.quiet < 2 {
        report(&stats, job.quiet, start);
    }
    status
}

/// Reads the `key=value` operands; reports the first bad one.
fn parse(operands: &[OsString]) -> Option<Job> {
    let mut job = Job {
        input: None,
        output: None,
        ibs: 512,
        obs: 512,
        count: None,
        skip: 0,
        seek: 0,
        notrunc: false,
        sync: false,
        noerror: false,
        fsync: false,
        quiet: 0,
    };
    for op in operands {
        let b = op.as_bytes();
        let Some(eq) = b.iter().position(|&c| c == b'=') else {
            error_msg("dd", &format!("unknown operand '{}'", lossy(op)));
            return None;
        };
        let (key, raw) = (&b[..eq], &b[eq + 1..]);
        let value = String::from_utf8_lossy(raw);
        let number = || {
            let n = fsutil::parse_size(&value, true);
            if n.is_none() {
                error_msg("dd", &format!("invalid number '{value}'"));
            }
            n
        };
        // Block sizes must be positive and fit a buffer.
        let block = || {
            number().and_then(|n| match usize::try_from(n) {
                Ok(n) if n > 0 && n <= 1 << 30 => Some(n),
                _ => {
                    error_msg("dd", &format!("invalid number '{value}'"));
                    None
                }
            })
        };
        match key {
            b"if" => job.input = Some(std::ffi::OsStr::from_bytes(raw).to_os_string()),
            b"of" => job.output = Some(std::ffi::OsStr::from_bytes(raw).to_os_string()),
            b"bs" => {
                let n = block()?;
                (job.ibs, job.obs) = (n, n);
            }
            b"ibs" => job.ibs = block()?,
            b"obs" => job.obs = block()?,
            b"count" => job.count = Some(number()?),
            b"skip" => job.skip = number()?,
            b"seek" => job.seek = number()?,
            b"conv" => {
                for c in value.split(',') {
                    match c {
                        "notrunc" => job.notrunc = true,
                        "sync" => job.sync = true,
                        "noerror" => job.noerror = true,
                        "fsync" | "fdatasync" => job.fsync = true,
                        _ => {
                            error_msg("dd", &format!("invalid conv '{c}'"));
                            return None;
                        }
                    }
                }
            }
            b"status" => {
                job.quiet = match &*value {
                    "noxfer" => 1,
                    "none" => 2,
                    "progress" => 0,
                    _ => {
                        error_msg("dd", &format!("invalid status '{value}'"));
                        return None;
                    }
                }
            }
            _ => {
                error_msg("dd", &format!("unknown operand '{}'", lossy(op)));
                return None;
            }
        }
    }
    Some(job)
}

/// Opens a file operand, or duplicates stdin/stdout (`fd`) without it.
fn open(
    name: Option<&OsString>,
    fd: io::Result<std::os::fd::OwnedFd>,
    job: &Job,
    write: bool,
) -> Option<File> {
    let Some(name) = name else {
        return match fd {
            Ok(fd) => Some(File::from(fd)),
            Err(e) => {
                perror("dd", "dup", &e);
                None
            }
        };
    };
    let path = Path::new(name);
    let mut oo = std::fs::OpenOptions::new();
    if write {
        // seek= keeps what lies before the seek point (truncated below).
        oo.write(true)
            .create(true)
            .mode(0o666)
            .truncate(!job.notrunc && job.seek == 0);
    } else {
        oo.read(true);
    }
    match oo.open(path) {
        Ok(f) => Some(f),
        Err(e) => {
            perror("dd", format!("can't open '{}'", show(path)), &e);
            None
        }
    }
}

/// The copy itself; returns the exit status.
fn run(job: &Job, mut input: File, mut output: File, st: &mut Stats) -> i32 {
    let in_name = job.input.as_deref().map_or("standard input".into(), lossy);
    let out_name = job
        .output
        .as_deref()
        .map_or("standard output".into(), lossy);
    // bs= may be large: running out of memory is an error, not an abort.
    let mut ibuf = Vec::new();
    if ibuf.try_reserve_exact(job.ibs).is_err() {
        error_msg("dd", "out of memory");
        return 1;
    }
    ibuf.resize(job.ibs, 0);
    if job.skip > 0 {
        let offset = job.skip.saturating_mul(job.ibs as u64);
        // A pipe cannot seek: read the blocks and drop them.
        if input.seek(SeekFrom::Current(offset as i64)).is_err() {
            for _ in 0..job.skip {
                match read_block(&mut input, &mut ibuf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        perror("dd", format!("error reading '{in_name}'"), &e);
                        return 1;
                    }
                }
            }
        }
    }
    if job.seek > 0 {
        let offset = job.seek.saturating_mul(job.obs as u64);
        if let Err(e) = output.seek(SeekFrom::Current(offset as i64)) {
            perror("dd", format!("can't seek in '{out_name}'"), &e);
            return 1;
        }
        if job.output.is_some() && !job.notrunc {
            let _ = output.set_len(offset);
        }
    }
    let mut obuf: Vec<u8> = Vec::new();
    let mut status = 0;
    let mut blocks = 0u64;
    while job.count.is_none_or(|c| blocks < c) {
        let n = match read_block(&mut input, &mut ibuf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                perror("dd", format!("error reading '{in_name}'"), &e);
                status = 1;
                // A directory fails the same way at every offset.
                if !job.noerror || e.raw_os_error() == Some(nix::libc::EISDIR) {
                    break;
                }
                // noerror: step over the bad block; with sync it becomes
                // zeros in the output. Either way it is a partial record.
                let _ = input.seek(SeekFrom::Current(job.ibs as i64));
                blocks += 1;
                st.in_part += 1;
                if job.sync {
                    obuf.resize(obuf.len() + job.ibs, 0);
                }
                continue;
            }
        };
        blocks += 1;
        if n == job.ibs {
            st.in_full += 1;
        } else {
            st.in_part += 1;
        }
        let mut len = n;
        if job.sync && n < job.ibs {
            ibuf[n..].fill(0);
            len = job.ibs;
        }
        obuf.extend_from_slice(&ibuf[..len]);
        // With bs= each input block is written as it came; with different
        // ibs and obs the data is cut into obs-sized blocks.
        let flush_all = job.ibs == job.obs;
        if let Err(e) = write_blocks(&mut output, &mut obuf, job.obs, flush_all, st) {
            perror("dd", format!("error writing '{out_name}'"), &e);
            return 1;
        }
    }
    if let Err(e) = write_blocks(&mut output, &mut obuf, job.obs, true, st) {
        perror("dd", format!("error writing '{out_name}'"), &e);
        return 1;
    }
    if job.fsync {
        if let Err(e) = output.sync_all() {
            perror("dd", format!("fsync '{out_name}'"), &e);
            return 1;
        }
    }
    status
}

/// One read(2) (retried on EINTR): a short count is a partial record.
fn read_block(input: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Writes whole `obs` blocks from `buf`, and the rest too when `all`.
fn write_blocks(
    out: &mut File,
    buf: &mut Vec<u8>,
    obs: usize,
    all: bool,
    st: &mut Stats,
) -> io::Result<()> {
    let mut done = 0;
    while buf.len() - done >= obs || (all && done < buf.len()) {
        let chunk = &buf[done..buf.len().min(done + obs)];
        out.write_all(chunk)?;
        if chunk.len() == obs {
            st.out_full += 1;
        } else {
            st.out_part += 1;
        }
        st.bytes += chunk.len() as u64;
        done += chunk.len();
    }
    buf.drain(..done);
    Ok(())
}

/// The `N+M records in/out` report on stderr, and the transfer line
/// unless `quiet` is 1.
fn report(st: &Stats, quiet: u8, start: Instant) {
    let mut text = format!(
        "{}+{} records in\n{}+{} records out\n",
        st.in_full, st.in_part, st.out_full, st.out_part
    );
    if quiet == 0 {
        let secs = start.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            (st.bytes as f64 / secs) as u64
        } else {
            0
        };
        text += &format!(
            "{} bytes ({}B) copied, {secs:.6} seconds, {}B/s\n",
            st.bytes,
            fsutil::human(st.bytes, 1),
            fsutil::human(rate, 1)
        );
    }
    let _ = io::stderr().write_all(text.as_bytes());
}
