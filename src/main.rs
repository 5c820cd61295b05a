// Loading and indexing allocate and free millions of small strings from both cores; mimalloc's
// per-thread heaps make that markedly cheaper than glibc's malloc (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    cairn::without_huge_pages();
    return_freed_memory();
    std::process::exit(cairn::cli::main());
}

// mimalloc's own API, in the C library `libmimalloc-sys` compiles into the binary. The Rust
// crates declare it only behind their `extended` feature, which would add a dependency for one
// function.
unsafe extern "C" {
    /// `void mi_collect(bool force)`: collects the calling thread's heap and purges the
    /// arenas' freed memory whose purge delay has passed (all threads' frees).
    fn mi_collect(force: bool);
}

/// Gives freed memory back to the system within about a second, also when nothing else runs.
///
/// mimalloc returns freed memory (purges it) once it has been free for a second
/// (`MIMALLOC_PURGE_DELAY`, 1,000 ms), but only when it next runs its collection on some thread:
/// on an allocation that needs a new page, or on this call. A server that falls idle right
/// after a burst of big answers is freed therefore kept that memory: 100 clients stalled on a
/// 7.3 MB page took a 10,000-system server from 220 to 947 MB, and 55 s after they closed it
/// still held 819 MB (docs/benchmarks.md, "Memory returned after a burst"). Purging at once
/// (`MIMALLOC_PURGE_DELAY=0`) would return it too, but pays a system call and fresh pages for
/// every large free while busy; this keeps the delay and only runs the purges that are due.
fn return_freed_memory() {
    let spawned = std::thread::Builder::new()
        .name("mi-collect".into())
        .spawn(|| {
            // mimalloc collects only through a thread it has set up, which it does on the
            // thread's first allocation.
            drop(std::hint::black_box(Box::new(0u8)));
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
                // SAFETY: takes no pointer and reads no caller state; mimalloc allows it on any
                // thread at any time (`force = false`: only what is due, nothing waits).
                unsafe { mi_collect(false) };
            }
        });
    // Without the thread memory is returned as before, at the next allocation.
    drop(spawned);
}
