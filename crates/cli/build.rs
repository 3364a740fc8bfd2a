//! Embeds the git commit (DESIGN §3, provenance): `leadline --version` names it.

fn main() {
    leadline_buildinfo::emit_git_commit();
}
