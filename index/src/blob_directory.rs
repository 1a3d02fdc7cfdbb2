//! A read-only tantivy `Directory` over an unpacked blob, for opening the index without a filesystem
//! (the worker on wasm32) and without copying the bytes.
//!
//! Its lock is a no-op: tantivy's default lock retries with `thread::sleep`, which panics on wasm32, and a
//! read-only index has no writer to exclude.

use crate::IndexError;
use crate::blob;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};

#[derive(Debug, Clone)]
pub(crate) struct BlobDirectory {
    files: Arc<HashMap<PathBuf, OwnedBytes>>,
}

impl BlobDirectory {
    /// Checks the blob and indexes its files by name.
    pub(crate) fn open(bytes: OwnedBytes) -> Result<BlobDirectory, IndexError> {
        let entries = blob::unpack(bytes.as_slice())?;
        let files = entries
            .into_iter()
            .map(|e| (PathBuf::from(e.name), bytes.slice(e.range)))
            .collect();
        Ok(BlobDirectory {
            files: Arc::new(files),
        })
    }

    fn read_only(path: &Path) -> io::Error {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{}: the packed index is read-only", path.display()),
        )
    }
}

/// The fewest bytes a file opened for reading can have: tantivy ends each with a footer whose last 8
/// bytes are its length and magic number. Its footer check refuses files under 4 bytes but reads the
/// last 8 of any file, so a damaged blob naming a 4-7 byte file would panic inside tantivy (found by
/// the `blob` fuzz target).
const FOOTER_TAIL: usize = 8;

impl Directory for BlobDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        match self.files.get(path) {
            Some(bytes) if bytes.len() < FOOTER_TAIL => Err(OpenReadError::wrap_io_error(
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} bytes, shorter than tantivy's {FOOTER_TAIL}-byte footer: the index blob is damaged",
                        bytes.len()
                    ),
                ),
                path.to_path_buf(),
            )),
            Some(bytes) => Ok(Arc::new(bytes.clone())),
            None => Err(OpenReadError::FileDoesNotExist(path.to_path_buf())),
        }
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: Arc::new(Self::read_only(path)),
            filepath: path.to_path_buf(),
        })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        Ok(self.files.contains_key(path))
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError {
            io_error: Arc::new(Self::read_only(path)),
            filepath: path.to_path_buf(),
        })
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        match self.files.get(path) {
            Some(bytes) => Ok(bytes.as_slice().to_vec()),
            None => Err(OpenReadError::FileDoesNotExist(path.to_path_buf())),
        }
    }

    fn atomic_write(&self, path: &Path, _data: &[u8]) -> io::Result<()> {
        Err(Self::read_only(path))
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, _watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::HasLen;

    #[test]
    fn a_file_shorter_than_a_footer_is_refused_not_opened() {
        let packed = blob::pack(&[
            ("short".to_string(), vec![1, 2, 3, 4, 5]),
            ("long".to_string(), vec![0; 64]),
        ]);
        let dir = BlobDirectory::open(OwnedBytes::new(packed)).expect("a well-formed blob");
        let e = dir
            .open_read(Path::new("short"))
            .expect_err("a 5-byte file cannot hold a footer");
        assert!(e.to_string().contains("damaged"), "{e}");
        assert_eq!(
            dir.open_read(Path::new("long")).map(|f| f.len()).ok(),
            Some(64)
        );
    }
}
