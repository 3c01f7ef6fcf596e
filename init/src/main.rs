//! The `init` binary of the crate: the library's [`ibex_init::main`] in a
//! program of its own, which `init/tests` run. Images do not ship it; they
//! run init as `ibox`'s `init` applet.

fn main() {
    ibex_init::main(std::env::args_os().collect())
}
