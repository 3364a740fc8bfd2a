fn main() {
    leadline_buildinfo::emit_git_commit();
}
