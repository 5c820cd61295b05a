// Loading and indexing allocate and free millions of small strings from both cores; mimalloc's
// per-thread heaps make that markedly cheaper than glibc's malloc (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    cairn::without_huge_pages();
    std::process::exit(cairn::cli::main());
}
