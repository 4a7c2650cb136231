//! `sportello`: the digital front desk of Italian comuni.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

mod admin;
mod campaign;
mod commands;
mod config;
mod demo;
mod logging;
mod notify;
mod pagopa;
mod server;
mod spid;
mod storage;
mod ztl;

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
    Serve {
        /// Trust the identity provider(s) of this SAML metadata file as well; repeatable.
        /// Prefix with `cie:` for a CIE identity provider.
        #[arg(long = "idp-metadata", value_name = "FILE")]
        idp_metadata: Vec<String>,
    },
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
        /// Trust the identity provider(s) of this SAML metadata file as well, next to the
        /// demo's own test IdP; repeatable. Prefix with `cie:` for a CIE identity provider.
        #[arg(long = "idp-metadata", value_name = "FILE")]
        idp_metadata: Vec<String>,
        /// The address the comuni's service providers announce (default: http://localhost:PORT).
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
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
    /// Grant or revoke roles in a comune (the first administrator, clerks of an office).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// SPID and CIE: the identity providers' registry and the service provider keys.
    Spid {
        #[command(subcommand)]
        command: SpidCommand,
    },
    /// ZTL: the whitelist of authorised plates for the gate cameras.
    Ztl {
        #[command(subcommand)]
        command: ZtlCommand,
    },
    /// pagoPA: bulk billing campaigns of the tax office.
    Pagopa {
        #[command(subcommand)]
        command: PagopaCommand,
    },
    /// App IO: the keys of each comune's IO services, sealed in the database.
    Appio {
        #[command(subcommand)]
        command: AppioCommand,
    },
}

#[derive(Subcommand)]
enum AppioCommand {
    /// The subscription keys of a comune's IO services.
    Key {
        #[command(subcommand)]
        command: AppioKeyCommand,
    },
}

#[derive(Subcommand)]
enum AppioKeyCommand {
    /// Store (or replace) the key of one IO service, read from --key-file or standard input
    /// and sealed with storage.key.
    Set {
        /// The comune's slug, e.g. borgoverde.
        #[arg(long)]
        tenant: String,
        /// The service's code in the comune file ([[notifications.appio_services]] code).
        #[arg(long)]
        service: String,
        /// A file holding the key; without it the key is read from standard input.
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
    },
    /// The comune's IO services and which have a key (by fingerprint); exit code 1 if any
    /// has none.
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum PagopaCommand {
    /// Bulk campaigns (TARI, canteen): one CSV file, one position per row (format:
    /// docs/payments.md, "Campaigns").
    Campaign {
        #[command(subcommand)]
        command: CampaignCommand,
    },
    /// Compare the comune's positions with pagoPA's now (the server does it every night) and
    /// list what differs; exit code 1 if anything does.
    Reconcile {
        /// The comune's slug, e.g. borgoverde.
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum CampaignCommand {
    /// Validate a CSV file, write a position per row, publish them to GPD and optionally
    /// render the notices. Running it again on the same file resumes it; it never bills twice.
    Import {
        /// The comune's slug, e.g. borgoverde.
        #[arg(long)]
        tenant: String,
        /// The CSV file (UTF-8, `;`-separated, header row).
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
        /// The campaign's name (default: the file name).
        #[arg(long)]
        name: Option<String>,
        /// GPD calls per second at most.
        #[arg(long, default_value_t = 20)]
        rate: u32,
        /// GPD requests in flight at most.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Also write each notice as DIR/<riferimento>.pdf (existing files are kept).
        #[arg(long, value_name = "DIR")]
        notices: Option<PathBuf>,
        /// Only validate the file and print its totals; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Positions by state: of the campaign of FILE, or of every campaign of the comune.
    Status {
        /// The comune's slug, e.g. borgoverde.
        #[arg(long)]
        tenant: String,
        /// The CSV file of the campaign.
        #[arg(long, value_name = "FILE.csv")]
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ZtlCommand {
    /// Write the plates allowed per zone and time window (with --since, only what changed:
    /// `add` and `remove` rows) and print the SHA-256 of what was written.
    Export {
        /// The comune's slug, e.g. borgoverde.
        #[arg(long)]
        tenant: String,
        /// Only permits issued or ended after this instant (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write here (and the checksum beside it, FILE.sha256) instead of to stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Give a person (by codice fiscale) a role in a comune; effective at their next login.
    Grant {
        /// The comune's slug, e.g. borgoverde.
        #[arg(long)]
        tenant: String,
        /// The person's codice fiscale.
        #[arg(long)]
        cf: String,
        /// `tenant_admin`, or `clerk:<office>` for a clerk of that office.
        #[arg(long)]
        role: String,
    },
    /// Take a role back.
    Revoke {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        cf: String,
        #[arg(long)]
        role: String,
    },
    /// List who holds which role in a comune.
    Roles {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum SpidCommand {
    /// Download AgID's signed registry of SPID identity providers, verify its signature and
    /// save it where `spid.registry_file` points (or to --out).
    RefreshRegistry {
        /// Where to save the verified registry.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Read the registry from this file instead of downloading it.
        #[arg(long, value_name = "FILE")]
        from_file: Option<PathBuf>,
    },
    /// List the identity providers this installation trusts.
    Idps,
    /// Service provider keys: list, start a rotation, finish it.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Show the keys of a comune (or of the aggregator) and their state.
    List {
        /// The comune's slug; omit when the platform is an aggregator.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Create the next key: published in metadata at once, used for signing after `promote`.
    Rotate {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Sign with the next key from now on; the previous one stays published for a while.
    Promote {
        #[arg(long)]
        tenant: Option<String>,
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
            Command::Serve { idp_metadata } => commands::serve(config, &idp_metadata).await,
            Command::Demo {
                port,
                bind,
                data,
                idp_metadata,
                public_url,
            } => {
                let options = demo::DemoOptions {
                    address: std::net::SocketAddr::new(bind, port),
                    data,
                    idp_metadata,
                    public_url,
                };
                demo::run(config, options).await
            }
            Command::Migrate { status } => commands::migrate(config, status).await,
            Command::CheckConfig { explain } => commands::check_config(config, explain),
            Command::Tenant {
                command: TenantCommand::Import { files },
            } => commands::tenant_import(config, &files).await,
            Command::Tenant {
                command: TenantCommand::List,
            } => commands::tenant_list(config).await,
            Command::Admin { command } => match command {
                AdminCommand::Grant { tenant, cf, role } => {
                    admin::grant(config, &tenant, &cf, &role).await
                }
                AdminCommand::Revoke { tenant, cf, role } => {
                    admin::revoke(config, &tenant, &cf, &role).await
                }
                AdminCommand::Roles { tenant } => admin::roles(config, &tenant).await,
            },
            Command::Ztl {
                command:
                    ZtlCommand::Export {
                        tenant,
                        since,
                        format,
                        output,
                    },
            } => ztl::export(config, &tenant, since.as_deref(), &format, output).await,
            Command::Pagopa {
                command: PagopaCommand::Campaign { command },
            } => match command {
                CampaignCommand::Import {
                    tenant,
                    file,
                    name,
                    rate,
                    concurrency,
                    notices,
                    dry_run,
                } => {
                    let options = campaign::ImportOptions {
                        tenant,
                        file,
                        name,
                        rate,
                        concurrency,
                        notices,
                        dry_run,
                    };
                    campaign::import(config, options).await
                }
                CampaignCommand::Status { tenant, file } => {
                    campaign::status(config, &tenant, file.as_deref()).await
                }
            },
            Command::Pagopa {
                command: PagopaCommand::Reconcile { tenant },
            } => pagopa::reconcile(config, &tenant).await,
            Command::Appio {
                command: AppioCommand::Key { command },
            } => match command {
                AppioKeyCommand::Set {
                    tenant,
                    service,
                    key_file,
                } => notify::key_set(config, &tenant, &service, key_file).await,
                AppioKeyCommand::List { tenant } => notify::key_list(config, &tenant).await,
            },
            Command::Spid { command } => match command {
                SpidCommand::RefreshRegistry { out, from_file } => {
                    spid::refresh_registry(config, out, from_file).await
                }
                SpidCommand::Idps => spid::list_idps(config),
                SpidCommand::Keys { command } => match command {
                    KeysCommand::List { tenant } => spid::keys_list(config, tenant).await,
                    KeysCommand::Rotate { tenant } => spid::keys_rotate(config, tenant).await,
                    KeysCommand::Promote { tenant } => spid::keys_promote(config, tenant).await,
                },
            },
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
