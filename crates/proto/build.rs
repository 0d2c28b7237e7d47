//! Compiles `proto/` into Rust with protox (a pure-Rust protobuf compiler, so
//! no system `protoc` is needed) and tonic-prost-build, and writes the
//! encoded descriptor set that the servers hand to gRPC reflection.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let mut files = Vec::new();
    collect_protos(&root.join("probity"), &mut files)?;
    // The standard error details every status carries: compiled too, so that
    // reflection serves them and grpcurl or buf curl decode `ErrorInfo` and
    // `BadRequest` in the statuses Probity returns.
    collect_protos(&root.join("google/rpc"), &mut files)?;
    files.sort();
    println!("cargo:rerun-if-changed={}", root.display());

    let fds = protox::compile(&files, [&root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("probity_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;

    tonic_prost_build::configure()
        .include_file("probity_protos.rs")
        .emit_rerun_if_changed(false)
        .compile_fds(fds)?;
    Ok(())
}

/// Every `.proto` file below `dir`, recursively.
fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            println!("cargo:rerun-if-changed={}", path.display());
            out.push(path);
        }
    }
    Ok(())
}
