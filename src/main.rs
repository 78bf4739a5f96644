//! The `fingerqc` command-line tool.

fn main() {
    eprintln!("fingerqc: the CLI lands with the core issue");
    std::process::exit(2);
}
