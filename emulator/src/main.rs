//! The `iot-emulator` binary: parse flags, start logging, serve until SIGINT or SIGTERM.

use clap::Parser;
use iot_emulator::cli::{Cli, Command};
use iot_emulator::{exports, fuzz, trust};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "iot_emulator=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => iot_emulator::run(cli.config, shutdown_signal()).await?,
        Command::Env { ready } => {
            let data_dir = cli.config.resolved_data_dir();
            let info = exports::load(ready.as_deref(), data_dir).map_err(anyhow::Error::msg)?;
            print!("{}", exports::render(&info));
        }
        Command::Trust {
            uninstall,
            hosts,
            ready,
            root,
        } => {
            let data_dir = cli.config.resolved_data_dir();
            let info = exports::load(ready.as_deref(), data_dir)
                .map_err(|e| anyhow::anyhow!("{e} (under sudo, pass --data-dir or --ready)"))?;
            let options = trust::Options {
                uninstall,
                hosts,
                root,
            };
            let mut report = Vec::new();
            let result = trust::run(&info, &options, &mut report);
            for line in report {
                println!("{line}");
            }
            result?;
        }
        Command::FuzzTemplate(args) => std::process::exit(fuzz::cli::main(*args).await),
    }
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
