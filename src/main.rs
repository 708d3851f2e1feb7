//! `ecs-auditor`: the CLI, and the Lambda function's `bootstrap` (see `cli::run`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = ecs_auditor::cli::parse();
    // One thread is plenty for one event at a time, and it starts faster.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(ecs_auditor::cli::run(cli))
}
