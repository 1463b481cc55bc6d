//! The `aml-operator` binary.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = controller::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("failed to start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(controller::cli::main(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("aml-operator: {e:#}");
            ExitCode::FAILURE
        }
    }
}
