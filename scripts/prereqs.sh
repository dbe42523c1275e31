#!/usr/bin/env bash
# Installs (or names) the system prerequisites of a tau build. Sourced by scripts/test.sh and
# scripts/testnet.sh so both work on a fresh machine.
#
# - cargo: from rustup; cannot be installed from here, so its absence is a clear error.
# - libclang: rust-rocksdb generates its bindings with bindgen, which loads libclang at build time.

tau_prereqs() {
    if ! command -v cargo >/dev/null 2>&1; then
        echo "error: cargo is not installed. Install Rust with rustup (https://rustup.rs), then rerun." >&2
        return 1
    fi
    if ! tau_have_libclang; then
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            echo "==> installing libclang-dev (needed by RocksDB's bindings)"
            DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libclang-dev >/dev/null || {
                echo "error: apt-get could not install libclang-dev" >&2
                return 1
            }
        else
            echo "error: libclang is missing; RocksDB's bindings need it. Install it with:" >&2
            echo "    sudo apt-get install -y libclang-dev      # Debian/Ubuntu" >&2
            echo "    sudo dnf install -y clang-devel           # Fedora" >&2
            echo "    brew install llvm                         # macOS" >&2
            return 1
        fi
    fi
    # One cargo profile (release) and a target directory outside the clone, reused when present:
    # a clean RocksDB build costs ~15 minutes per profile on two cores.
    local home="${HOME:-$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f6)}"
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${home:-/tmp}/.cache/tau/target}"
    mkdir -p "$CARGO_TARGET_DIR"
}

tau_have_libclang() {
    [ -n "${LIBCLANG_PATH:-}" ] && return 0
    if command -v ldconfig >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q 'libclang[-.0-9]*\.so'; then
        return 0
    fi
    compgen -G '/usr/lib/llvm-*/lib/libclang*.so*' >/dev/null 2>&1 && return 0
    compgen -G '/usr/lib/*/libclang*.so*' >/dev/null 2>&1 && return 0
    return 1
}
