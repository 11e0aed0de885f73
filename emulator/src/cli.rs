//! The command line: the subcommands (serve, env, trust, fuzz-template) over the flags
//! of [`crate::config::Config`]. It sits above every service so that the configuration
//! itself depends on none of them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Config;

/// iot-emulator: AWS IoT Core's device-provisioning world, locally and offline.
#[derive(Debug, Clone, Parser)]
#[command(name = "iot-emulator", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

/// What to do; serving is the default.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the control plane, the broker and the credentials provider (the default).
    Serve,
    /// Print shell exports (endpoints, dummy credentials, region, root CA) for a running
    /// instance: `eval "$(iot-emulator env)"`.
    Env {
        /// The instance's ready file (default: `ready.json` in the data directory).
        #[arg(long)]
        ready: Option<PathBuf>,
    },
    /// Trust a running instance's root CA system-wide (Debian/Ubuntu, Fedora/RHEL, Arch,
    /// openSUSE, macOS) and, with `--hosts`, resolve its Data-ATS and credentials
    /// endpoint names to it in /etc/hosts. Needs root. `--uninstall` undoes exactly that.
    Trust {
        /// Remove the root CA (and, with `--hosts`, the hosts lines) instead.
        #[arg(long)]
        uninstall: bool,
        /// Also add (or remove) the endpoint names in /etc/hosts.
        #[arg(long)]
        hosts: bool,
        /// The instance's ready file (default: `ready.json` in the data directory).
        #[arg(long)]
        ready: Option<PathBuf>,
        /// Testing only: act on this directory as if it were `/` (no tool is run).
        #[arg(long, hide = true, default_value = "/")]
        root: PathBuf,
    },
    /// Fuzz a provisioning template's parameters: every distinct way RegisterThing fails,
    /// each with a shrunk example (offline, or `--live` through a running instance).
    FuzzTemplate(Box<crate::fuzz::cli::Args>),
}
