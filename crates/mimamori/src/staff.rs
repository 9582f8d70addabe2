//! `mimamori staff`: accounts made at the server itself. Only the first Administrator needs
//! this; every other account is made over the API by an Administrator and recorded there.

use anyhow::{bail, Context as _};
use clap::Subcommand;
use mimamori_office::auth::check_new_password;
use mimamori_office::setup::{seed_account, Seed};
use mimamori_policy::access::Role;

use crate::app::Paths;
use crate::DataArgs;

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Creates the first Administrator; refused once any account exists. The password is
    /// read from $MIMAMORI_PASSWORD and must be changed at the first sign-in (N3.3.1).
    Bootstrap {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
    },
}

pub async fn run(command: StaffCommand) -> anyhow::Result<()> {
    let StaffCommand::Bootstrap { data, login, name } = command;
    let password = std::env::var("MIMAMORI_PASSWORD").context(
        "set the initial password in $MIMAMORI_PASSWORD (初期パスワードを設定してください)",
    )?;
    check_new_password("password", &login, &password).map_err(|e| anyhow::anyhow!("{}", e.en))?;
    let db = Paths::new(&data).open_db().await?;
    if !db.staff_list().await?.is_empty() {
        bail!("accounts exist already; an Administrator adds more over the API (既にアカウントがあります)");
    }
    let seed = Seed {
        login: &login,
        name: &name,
        unit: "",
        password: &password,
        roles: &[Role::Administrator],
        ready: false,
        delegation_id: None,
    };
    let by = crate::commands::cli_actor();
    seed_account(&db, &seed, &by, jiff::Timestamp::now()).await?;
    println!("administrator {login} created; sign in and change the password first");
    Ok(())
}
