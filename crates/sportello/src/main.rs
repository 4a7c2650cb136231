//! `sportello`: the digital front desk of Italian comuni.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

mod commands;
mod config;
mod demo;
mod logging;
mod server;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "sportello",
    version,
    about = "Lo sportello digitale dei comuni — the digital front desk of Italian comuni"
)]
struct Cli {
    /// Configuration file (TOML). Settings may also come from SPORTELLO_* environment variables.
    #[arg(
        long,
        short,
        global = true,
        env = "SPORTELLO_CONFIG",
        value_name = "FILE"
    )]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service in production: configuration from the file and the environment.
    Serve,
    /// Run a self-contained demo on SQLite, with two fictional comuni and local stand-ins for
    /// SPID, pagoPA and App IO. No configuration, no network.
    Demo {
        /// Port to listen on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on; the default keeps the demo private to this machine.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Folder of the demo's database (created if missing, reused otherwise).
        #[arg(long, default_value = "sportello-data")]
        data: PathBuf,
    },
    /// Apply pending database migrations (or, with --status, list them).
    Migrate {
        /// Only show which migrations are applied and which are pending.
        #[arg(long)]
        status: bool,
    },
    /// Check the configuration and explain every problem found.
    CheckConfig {
        /// Also list every setting with its meaning.
        #[arg(long)]
        explain: bool,
    },
    /// Manage comuni (tenants).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create or update comuni from their TOML files (format: docs/tenant-data.md). All files
    /// are validated before any is imported.
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// List the comuni of this installation.
    List,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let config = cli.config.as_deref();
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => commands::serve(config).await,
            Command::Demo { port, bind, data } => {
                demo::run(std::net::SocketAddr::new(bind, port), &data).await
            }
            Command::Migrate { status } => commands::migrate(config, status).await,
            Command::CheckConfig { explain } => commands::check_config(config, explain),
            Command::Tenant {
                command: TenantCommand::Import { files },
            } => commands::tenant_import(config, &files).await,
            Command::Tenant {
                command: TenantCommand::List,
            } => commands::tenant_list(config).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
