"""Faces: reading, detection + 5-point alignment, dlib's 128-d baseline, identity folders, fetching LFW.

Real faces come from Debian's opencv-doc package (messi5.jpg: a footballer, face ~40 px; face_swapped.jpg:
a frontal portrait of another man); the tests skip when it is not installed.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.identity.faces import fetch_lfw, load_identity_folders
from synth.identity.faces import DlibFaceEncoder, FaceAligner, FaceError, FaceNotFound, read_rgb

OPENCV_DOC = Path("/usr/share/doc/opencv-doc")
MESSI = OPENCV_DOC / "examples/data/messi5.jpg"
PORTRAIT = OPENCV_DOC / "opencv4/html/face_swapped.jpg"
SAME_MAX = 0.3  # unit vectors: dlib's raw 0.6 threshold is ~0.42 after normalisation (raw norms ~1.4)
DIFFERENT_MIN = 0.4


def need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"{path} is missing: install Debian's opencv-doc package for real face photos")
    return path


def brighter(image: np.ndarray) -> np.ndarray:
    return np.clip(image.astype(np.float32) * 1.2 + 10, 0, 255).astype(np.uint8)


def flipped(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[:, ::-1])


def save(image: np.ndarray, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, quality=95)
    return path


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    return {"messi": read_rgb(need(MESSI)), "portrait": read_rgb(need(PORTRAIT))}


@pytest.fixture(scope="module")
def chips(photos) -> dict[str, np.ndarray]:
    aligner = FaceAligner()
    variants = {
        "messi": photos["messi"],
        "messi_flipped": flipped(photos["messi"]),
        "messi_brighter": brighter(photos["messi"]),
        "portrait": photos["portrait"],
    }
    return {name: aligner.align(image, name) for name, image in variants.items()}


@pytest.fixture
def layout(tmp_path, photos) -> Path:
    """person_a: three versions of one face photo; person_b: two of another face."""
    root = tmp_path / "faces"
    save(photos["messi"], root / "person_a/1.jpg")
    save(brighter(photos["messi"]), root / "person_a/2.jpg")
    save(flipped(photos["messi"]), root / "person_a/3.png")
    save(photos["portrait"], root / "person_b/1.jpg")
    save(flipped(photos["portrait"]), root / "person_b/2.jpg")
    (root / "person_b/notes.txt").write_text("not an image extension: ignored")
    return root


def no_face(path: Path) -> Path:
    return save(np.full((120, 160, 3), 128, np.uint8), path)


# --- reading and aligning --------------------------------------------------------------------------


def test_read_rgb_converts_grey_to_rgb(tmp_path):
    path = tmp_path / "grey.png"
    Image.fromarray(np.full((10, 12), 90, np.uint8)).save(path)
    image = read_rgb(path)
    assert image.shape == (10, 12, 3) and image.dtype == np.uint8 and image.flags.writeable


@pytest.mark.parametrize("name, content", [("x.jpg", b"this is text, not a photo"), ("empty.png", b"")])
def test_read_rgb_unreadable_names_the_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FaceError, match=rf"{name}: not a readable image"):
        read_rgb(path)


def test_read_rgb_missing_file(tmp_path):
    with pytest.raises(FaceError, match="nope.jpg: no such file"):
        read_rgb(tmp_path / "nope.jpg")


def test_align_real_face_gives_a_chip(chips):
    chip = chips["messi"]
    assert chip.shape == (150, 150, 3) and chip.dtype == np.uint8
    assert chip.std() > 20  # a picture, not a blank


def test_align_size_and_determinism(photos):
    aligner = FaceAligner(size=96, padding=0.3)
    first = aligner.align(photos["portrait"], "portrait")
    assert first.shape == (96, 96, 3)
    assert np.array_equal(first, aligner.align(photos["portrait"], "portrait"))


def test_align_picks_the_largest_face(photos, chips):
    small, large = photos["messi"], photos["portrait"]  # face ~40 px vs ~110 px
    canvas = np.zeros((max(small.shape[0], large.shape[0]), small.shape[1] + large.shape[1], 3), np.uint8)
    canvas[: small.shape[0], : small.shape[1]] = small
    canvas[: large.shape[0], small.shape[1] :] = large
    chip = FaceAligner().align(canvas, "both")
    vectors = DlibFaceEncoder().encode(np.stack([chip, chips["portrait"], chips["messi"]]))
    assert np.linalg.norm(vectors[0] - vectors[1]) < np.linalg.norm(vectors[0] - vectors[2])


@pytest.mark.parametrize("kind", ["flat", "noise"])
def test_no_face_names_the_file(tmp_path, kind):
    rng = np.random.default_rng(0)
    shape = (120, 160, 3)
    image = np.full(shape, 128, np.uint8) if kind == "flat" else rng.integers(0, 256, shape, np.uint8)
    path = save(image, tmp_path / f"{kind}.png")
    with pytest.raises(FaceNotFound, match=rf"{kind}.png: no face found"):
        FaceAligner().align(read_rgb(path), str(path))


def test_align_rejects_a_non_rgb_array():
    with pytest.raises(FaceError, match=r"arr: expected an RGB uint8 image"):
        FaceAligner().align(np.zeros((20, 20), np.float32), "arr")


# --- dlib's encoder --------------------------------------------------------------------------------


def test_dlib_encoder_unit_vectors_same_face_closer(chips):
    names = ["messi", "messi_flipped", "messi_brighter", "portrait"]
    vectors = DlibFaceEncoder(batch_size=3).encode(np.stack([chips[n] for n in names]))  # two batches
    assert vectors.shape == (4, 128) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    d = np.linalg.norm(vectors[:, None] - vectors[None], axis=2)
    assert d[0, 1] < SAME_MAX and d[0, 2] < SAME_MAX
    assert min(d[0, 3], d[1, 3], d[2, 3]) > DIFFERENT_MIN
    assert np.array_equal(vectors, DlibFaceEncoder().encode(np.stack([chips[n] for n in names])))


def test_dlib_encoder_empty_and_bad_shapes(chips):
    assert DlibFaceEncoder().encode(np.zeros((0, 150, 150, 3), np.uint8)).shape == (0, 128)
    with pytest.raises(FaceError, match=r"expected uint8 \(N, 150, 150, 3\)"):
        DlibFaceEncoder().encode(chips["messi"])  # one chip without the batch axis
    with pytest.raises(FaceError, match=r"expected uint8 \(N, 150, 150, 3\)"):
        DlibFaceEncoder().encode(np.zeros((1, 96, 96, 3), np.uint8))


# --- identity folders ------------------------------------------------------------------------------


def test_load_identity_folders_table_and_chips(layout):
    items, chips = load_identity_folders(layout, FaceAligner())
    assert list(items.columns) == ["item_id", "identity", "source"]
    assert items.item_id.tolist() == [
        "person_a/1.jpg",
        "person_a/2.jpg",
        "person_a/3.png",
        "person_b/1.jpg",
        "person_b/2.jpg",
    ]
    assert items.identity.tolist() == ["person_a"] * 3 + ["person_b"] * 2
    assert all(Path(s).is_absolute() and Path(s).is_file() for s in items.source)
    assert chips.shape == (5, 150, 150, 3) and chips.dtype == np.uint8
    assert items.attrs["no_face"] == []
    vectors = DlibFaceEncoder().encode(chips)  # rows follow the table: same person, close vectors
    assert np.linalg.norm(vectors[0] - vectors[2]) < SAME_MAX
    assert np.linalg.norm(vectors[0] - vectors[3]) > DIFFERENT_MIN


def test_load_identity_folders_max_items(layout):
    items, chips = load_identity_folders(layout, FaceAligner(size=64), max_items=2)
    assert items.item_id.tolist() == ["person_a/1.jpg", "person_a/2.jpg", "person_b/1.jpg", "person_b/2.jpg"]
    assert chips.shape == (4, 64, 64, 3)


def test_load_identity_folders_skips_or_errors_on_no_face(layout, caplog):
    blank = no_face(layout / "person_a/0_blank.jpg")
    items, chips = load_identity_folders(layout, FaceAligner(), on_no_face="skip")
    assert "person_a/0_blank.jpg" not in items.item_id.tolist() and len(items) == len(chips) == 5
    assert items.attrs["no_face"] == ["person_a/0_blank.jpg"]
    assert any("0_blank.jpg: no face found" in r.getMessage() for r in caplog.records)
    with pytest.raises(FaceNotFound, match=rf"{blank}: no face found"):
        load_identity_folders(layout, FaceAligner(), on_no_face="error")


def test_too_few_usable_images_is_an_error(layout):
    for extra in ("1.jpg", "2.jpg"):
        (layout / "person_b" / extra).unlink()
    with pytest.raises(FaceError, match=r"identity 'person_b' has 0 images; .*triplets need at least 2"):
        load_identity_folders(layout, FaceAligner())
    save(np.asarray(Image.open(PORTRAIT).convert("RGB")), layout / "person_b/1.jpg")
    no_face(layout / "person_b/2.jpg")
    message = r"identity 'person_b' has 1 usable image; .*\(1 without a detectable face\)"
    with pytest.raises(FaceError, match=message):
        load_identity_folders(layout, FaceAligner())


def test_unreadable_image_is_an_error_even_when_skipping(layout):
    (layout / "person_b/broken.jpg").write_text("not a jpeg")
    with pytest.raises(FaceError, match=r"broken.jpg: not a readable image"):
        load_identity_folders(layout, FaceAligner(), on_no_face="skip")


def test_missing_or_empty_root(tmp_path):
    with pytest.raises(FaceError, match=r"nothing: no such folder"):
        load_identity_folders(tmp_path / "nothing", FaceAligner())
    (tmp_path / "empty").mkdir()
    with pytest.raises(FaceError, match=r"empty: no identity folders"):
        load_identity_folders(tmp_path / "empty", FaceAligner())
    with pytest.raises(ValueError, match="on_no_face"):
        load_identity_folders(tmp_path / "empty", FaceAligner(), on_no_face="ignore")


# --- fetching LFW ----------------------------------------------------------------------------------


def make_tgz(layout: Path, path: Path, top: str = "lfw") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        tar.add(layout, arcname=top)
    return path


def test_fetch_lfw_local_tgz_then_load(layout, tmp_path):
    archive = make_tgz(layout, tmp_path / "lfw.tgz")
    cache = tmp_path / "cache"
    root = fetch_lfw(str(archive), cache)
    assert root.name == "lfw" and root.parent.parent == cache
    assert sorted(p.name for p in root.iterdir()) == ["person_a", "person_b"]
    assert fetch_lfw(str(archive), cache) == root  # extracted once
    items, chips = load_identity_folders(root, FaceAligner(size=64))
    assert items.identity.value_counts().to_dict() == {"person_a": 3, "person_b": 2}


def test_fetch_lfw_file_url_zip_and_folder(layout, tmp_path):
    archive = make_tgz(layout, tmp_path / "lfw-deepfunneled.tgz", top="lfw-deepfunneled")
    cache = tmp_path / "cache"
    root = fetch_lfw(archive.as_uri(), cache)
    assert root.name == "lfw-deepfunneled" and (root / "person_a/1.jpg").is_file()
    assert len(list((cache / "downloads").iterdir())) == 1
    zipped = tmp_path / "flat.zip"
    with zipfile.ZipFile(zipped, "w") as zf:  # no top-level folder: the extracted folder is the root
        for path in sorted(layout.rglob("*.jpg")):
            zf.write(path, path.relative_to(layout).as_posix())
    zip_root = fetch_lfw(str(zipped), cache)
    assert sorted(p.name for p in zip_root.iterdir()) == ["person_a", "person_b"]
    assert fetch_lfw(str(layout), cache) == layout


@pytest.mark.parametrize("member", ["../evil.jpg", "/tmp/evil.jpg", "lfw/../../evil.jpg"])
def test_fetch_lfw_rejects_unsafe_members(tmp_path, member):
    archive = tmp_path / "bad.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    with pytest.raises(FaceError, match=r"bad.tgz: unsafe member"):
        fetch_lfw(str(archive), tmp_path / "cache")
    assert not (tmp_path / "evil.jpg").exists() and list((tmp_path / "cache").iterdir()) == []


def test_fetch_lfw_bad_sources(tmp_path):
    with pytest.raises(FaceError, match=r"missing.tgz: no such archive or folder"):
        fetch_lfw(str(tmp_path / "missing.tgz"), tmp_path / "cache")
    text = tmp_path / "notes.tgz"
    text.write_text("not an archive")
    with pytest.raises(FaceError, match=r"notes.tgz: not a .tgz, .tar.gz or .zip archive"):
        fetch_lfw(str(text), tmp_path / "cache")
    with pytest.raises(FaceError, match=r"download failed"):
        fetch_lfw((tmp_path / "absent.tgz").as_uri(), tmp_path / "cache")
