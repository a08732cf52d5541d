"""The release bundle: flat files, SHA256SUMS over every one, checked with coreutils' sha256sum."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from mlci.config import Config, ModelConfig, ModelFileConfig, ReleaseConfig
from mlci.errors import MlciError
from mlci.release.bundle import (
    CHECKSUMS,
    bundle_name,
    parse_sha256sums,
    source_files,
    verify_bundle,
    write_bundle,
)

GENERATED = {"model-card.md": "# card\n", "metrics.json": "{}\n", "record.json": '{"r": 1}\n'}


def config(tmp_path: Path, *assets: str, model: str | None = "model.skops") -> Config:
    model_config = None
    if model is not None:
        model_file = ModelFileConfig(tmp_path / model, data="eval", target="y")
        model_config = ModelConfig(task="binary", model=model_file)
    release = ReleaseConfig(assets=tuple(tmp_path / a for a in assets))
    return Config(
        name="m", path=tmp_path / "mlci.yml", root=tmp_path, model=model_config, release=release
    )


def files(tmp_path: Path, **contents: bytes) -> None:
    for name, data in contents.items():
        (tmp_path / name.replace("__", "/")).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name.replace("__", "/")).write_bytes(data)


@pytest.mark.integration
def test_the_model_file_and_the_assets_come_first_and_sha256sums_covers_everything(
    tmp_path: Path,
) -> None:
    files(tmp_path, **{"model.skops": b"\x00weights\xff" * 100, "extra__vocab.txt": b"a\nb\n"})
    cfg = config(tmp_path, "extra/vocab.txt")

    bundle = write_bundle(tmp_path / "out" / "bundle", source_files(cfg), GENERATED, config=cfg)

    names = [f.name for f in bundle.files]
    assert names == ["model.skops", "vocab.txt", *GENERATED, CHECKSUMS]
    sums = parse_sha256sums((bundle.directory / CHECKSUMS).read_text())
    for name in names[:-1]:
        assert sums[name] == hashlib.sha256((bundle.directory / name).read_bytes()).hexdigest()
    assert (bundle.directory / "model.skops").read_bytes() == (
        tmp_path / "model.skops"
    ).read_bytes()
    assert verify_bundle(bundle.directory) == []
    done = subprocess.run(
        [shutil.which("sha256sum") or "sha256sum", "--check", "--strict", CHECKSUMS],
        cwd=bundle.directory,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == 5


def test_a_tampered_missing_or_extra_file_is_found(tmp_path: Path) -> None:
    files(tmp_path, **{"model.skops": b"weights"})
    cfg = config(tmp_path)
    bundle = write_bundle(tmp_path / "bundle", source_files(cfg), GENERATED, config=cfg)
    (bundle.directory / "model.skops").write_bytes(b"weightz")
    (bundle.directory / "record.json").unlink()
    (bundle.directory / "notes.txt").write_text("x")

    assert verify_bundle(bundle.directory) == [
        "record.json: listed but missing",
        "notes.txt: not listed",
        "model.skops: checksum differs",
    ]


def test_a_new_bundle_replaces_the_old_one(tmp_path: Path) -> None:
    files(tmp_path, **{"model.skops": b"v1", "old.txt": b"old"})
    cfg_old = config(tmp_path, "old.txt")
    write_bundle(tmp_path / "bundle", source_files(cfg_old), GENERATED, config=cfg_old)
    cfg = config(tmp_path)

    bundle = write_bundle(tmp_path / "bundle", source_files(cfg), GENERATED, config=cfg)

    assert sorted(p.name for p in bundle.directory.iterdir()) == sorted(
        ["model.skops", *GENERATED, CHECKSUMS]
    )
    assert verify_bundle(bundle.directory) == []


def test_identical_inputs_give_identical_bytes(tmp_path: Path) -> None:
    files(tmp_path, **{"model.skops": b"same"})
    cfg = config(tmp_path)
    first = write_bundle(tmp_path / "a", source_files(cfg), GENERATED, config=cfg)
    second = write_bundle(tmp_path / "b", source_files(cfg), GENERATED, config=cfg)
    assert first.files == second.files


def test_it_refuses_to_empty_a_folder_that_is_not_a_bundle(tmp_path: Path) -> None:
    files(tmp_path, **{"model.skops": b"w", "precious__notes.md": b"mine"})
    cfg = config(tmp_path)
    with pytest.raises(MlciError) as excinfo:
        write_bundle(tmp_path / "precious", source_files(cfg), GENERATED, config=cfg)
    assert str(excinfo.value) == (
        f"{tmp_path / 'precious'} exists and is not an mlci release bundle: choose another "
        "--output-dir (mlci replaces the bundle folder it writes)."
    )
    assert (tmp_path / "precious" / "notes.md").read_bytes() == b"mine"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            {},
            "mlci.yml: model.model.path: {root}/model.skops not found. The release bundle needs "
            "it: build it before `mlci release` runs, or fix the path.",
        ),
        (
            {"model.skops": b"w", "dir__x": b"x"},
            "mlci.yml: release.assets[0]: {root}/dir is a "
            "directory; list its files under release.assets, or archive it (e.g. tar czf "
            "model.tar.gz model/) and list the archive.",
        ),
    ],
)
def test_missing_and_directory_sources(
    tmp_path: Path, setup: dict[str, bytes], message: str
) -> None:
    files(tmp_path, **setup)
    cfg = config(tmp_path, *(["dir"] if setup else []))
    with pytest.raises(MlciError) as excinfo:
        write_bundle(tmp_path / "bundle", source_files(cfg), GENERATED, config=cfg)
    assert str(excinfo.value) == message.format(root=tmp_path)


def test_two_files_of_one_name_are_refused(tmp_path: Path) -> None:
    files(tmp_path, **{"model.skops": b"w", "a__model.skops": b"other", "a__record.json": b"x"})
    cfg = config(tmp_path, "a/model.skops")
    with pytest.raises(MlciError) as excinfo:
        write_bundle(tmp_path / "bundle", source_files(cfg), GENERATED, config=cfg)
    assert str(excinfo.value) == (
        "mlci.yml: release.assets[0]: model.skops would be named model.skops in the release "
        "bundle, like model.model.path. Rename one of the files."
    )
    cfg = config(tmp_path, "a/record.json", model=None)
    with pytest.raises(MlciError, match="like a file mlci generates"):
        write_bundle(tmp_path / "bundle", source_files(cfg), GENERATED, config=cfg)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("model.skops", "model.skops"),
        ("my model (v2).onnx", "my_model__v2_.onnx"),
        (".hidden", "hidden"),
        ("modèle.bin", "mod_le.bin"),
        ("__", "file_"),
    ],
)
def test_bundle_names_are_what_github_keeps(name: str, expected: str) -> None:
    assert bundle_name(Path(name)) == expected


def test_parse_sha256sums_accepts_binary_mode_and_rejects_garbage() -> None:
    digest = "0" * 64
    assert parse_sha256sums(f"{digest}  a.txt\n{digest} *b.bin\n") == {
        "a.txt": digest,
        "b.bin": digest,
    }
    with pytest.raises(ValueError, match="line 1 is not"):
        parse_sha256sums("nonsense\n")
