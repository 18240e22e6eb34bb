//! `csa-fuzz-seeds REPO_ROOT OUT_DIR`: writes the seed corpora (`OUT_DIR/<target>/*`).

fn main() -> csa_fuzz::seeds::Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, root, out] = args.as_slice() else {
        return Err("usage: csa-fuzz-seeds REPO_ROOT OUT_DIR".into());
    };
    csa_fuzz::seeds::write(std::path::Path::new(root), std::path::Path::new(out))
}
