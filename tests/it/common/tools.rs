//! External tools the interop and browser tests drive: Node.js (openid-client, jose,
//! playwright-core), Python (Authlib) and Chromium. Packages are installed on first use;
//! a missing runtime skips the test with the reason, except in CI (`CI` set), where it fails.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

pub fn venv() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-venv")
}

fn run(cmd: &mut std::process::Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Installs what the scripts need, once per test run; `Err` names what is missing.
fn setup(tool: &str) -> Result<(), String> {
    static DONE: Mutex<Vec<(String, Result<(), String>)>> = Mutex::new(Vec::new());
    let mut done = DONE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, r)) = done.iter().find(|(t, _)| t == tool) {
        return r.clone();
    }
    let r = match tool {
        "node" => run(std::process::Command::new("node").arg("--version")).and_then(|_| {
            let have = |m: &str| interop_dir().join("node_modules").join(m).exists();
            if have("openid-client")
                && have("jose")
                && have("playwright-core")
                && have("oidc-client-ts")
            {
                return Ok(());
            }
            run(std::process::Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(interop_dir()))
        }),
        "chromium" => {
            if Path::new(&chromium()).exists() {
                Ok(())
            } else {
                Err(format!(
                    "{} is missing (apt-get install chromium)",
                    chromium()
                ))
            }
        }
        _ => {
            let py = venv().join("bin/python");
            if run(std::process::Command::new(&py).args(["-c", "import authlib, requests"])).is_ok()
            {
                Ok(())
            } else {
                run(std::process::Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(venv()))
                .and_then(|_| {
                    run(std::process::Command::new(&py)
                        .args(["-m", "pip", "install", "-q", "-r"])
                        .arg(interop_dir().join("requirements.txt")))
                })
            }
        }
    };
    done.push((tool.to_string(), r.clone()));
    r
}

/// True when the tool is ready; otherwise skips (saying why), or fails in CI.
pub fn ready(tool: &str) -> bool {
    match setup(tool) {
        Ok(()) => true,
        Err(e) if std::env::var_os("CI").is_some() => panic!("interop needs {tool}: {e}"),
        Err(e) => {
            eprintln!("SKIPPED: interop test needs {tool}, which is not usable here: {e}");
            false
        }
    }
}

/// The browser the journeys drive (`CHROMIUM` overrides Debian's path).
pub fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// Runs a script to completion with the given environment; returns its last stdout line
/// as JSON, failing with its stderr.
pub async fn script(program: &Path, file: &str, env: &[(&str, &str)]) -> Value {
    let mut cmd = tokio::process::Command::new(program);
    cmd.arg(interop_dir().join(file))
        .current_dir(interop_dir())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("script finished in time")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{file} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{file} printed no JSON ({e}): {stdout}"))
}
