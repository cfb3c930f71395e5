//! Placeholder demo: starts the local stack and the functions, prints the addresses, and
//! waits for Ctrl-C. (To be fleshed out.)

use hona_e2e::LocalStack;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let stack = LocalStack::start().await?;
    println!("{}", stack.describe());
    let mut functions = Vec::new();
    for (function, _) in hona_e2e::stack::FUNCTION_QUEUES {
        match stack.start_function(function).await {
            Ok(f) => {
                println!(
                    "{function:<18} {} (logs: {})",
                    f.invoke_url(),
                    f.log_path().display()
                );
                functions.push(f);
            }
            Err(e) => println!("{function:<18} not started: {e:#}"),
        }
    }
    println!("\nCtrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
