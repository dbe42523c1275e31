//! Where a wallet password comes from: a file (`--password-file`), the `TAU_WALLET_PASSWORD`
//! environment variable, or a no-echo prompt in a terminal, in that order. Scripts and tests use
//! the first two; people get the prompt.

use core::fmt;
use std::io::IsTerminal;
use std::path::Path;

use zeroize::Zeroizing;

use super::error::WalletError;
use super::store;

/// The environment variable scripts set to provide the password without a prompt.
pub const PASSWORD_ENV: &str = "TAU_WALLET_PASSWORD";

/// A password, wiped from memory on drop and never shown in Debug output.
pub struct Password(Zeroizing<String>);

impl Password {
    pub fn new(password: impl Into<String>) -> Password {
        Password(Zeroizing::new(password.into()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// What the password is for: a new key asks twice and refuses an empty one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Create,
    Unlock,
}

/// Gets a password from `file`, else `TAU_WALLET_PASSWORD`, else a prompt (only when stdin is a
/// terminal: a script must never hang on a prompt nobody sees). `what` names the key in the prompt.
pub fn obtain(file: Option<&Path>, what: &str, purpose: Purpose) -> Result<Password, WalletError> {
    let password = if let Some(path) = file {
        from_file(path)?
    } else if let Some(value) = std::env::var_os(PASSWORD_ENV) {
        let value = value.into_string().map_err(|_| WalletError::NotUtf8(PASSWORD_ENV.into()))?;
        Password::new(value)
    } else if std::io::stdin().is_terminal() {
        prompt(what, purpose)?
    } else {
        return Err(WalletError::NoPassword);
    };
    if purpose == Purpose::Create && password.is_empty() {
        return Err(WalletError::EmptyPassword);
    }
    Ok(password)
}

/// The file's content without one trailing newline (files written by `echo` have one).
fn from_file(path: &Path) -> Result<Password, WalletError> {
    let bytes = store::read_bounded(path)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| WalletError::NotUtf8(format!("password file {}", path.display())))?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    Ok(Password::new(text))
}

fn prompt(what: &str, purpose: Purpose) -> Result<Password, WalletError> {
    let tty = || std::path::PathBuf::from("/dev/tty");
    let first = Password::new(
        rpassword::prompt_password(format!("Password for {what}: "))
            .map_err(WalletError::io(tty()))?,
    );
    if purpose == Purpose::Create {
        if first.is_empty() {
            return Err(WalletError::EmptyPassword);
        }
        let again = Password::new(
            rpassword::prompt_password(format!("Repeat the password for {what}: "))
                .map_err(WalletError::io(tty()))?,
        );
        if first.as_bytes() != again.as_bytes() {
            return Err(WalletError::PasswordMismatch);
        }
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_file_loses_one_trailing_newline_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "  hunter2 \r\n").unwrap();
        assert_eq!(from_file(&p).unwrap().as_bytes(), b"  hunter2 ");
        std::fs::write(&p, "a\n\n").unwrap();
        assert_eq!(from_file(&p).unwrap().as_bytes(), b"a\n");
    }

    #[test]
    fn creation_refuses_an_empty_password_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "\n").unwrap();
        assert!(matches!(obtain(Some(&p), "x", Purpose::Create), Err(WalletError::EmptyPassword)));
        assert!(obtain(Some(&p), "x", Purpose::Unlock).is_ok());
    }

    #[test]
    fn debug_output_hides_the_password() {
        assert_eq!(format!("{:?}", Password::new("secret")), "Password(<redacted>)");
    }
}
