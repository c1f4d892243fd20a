"""The backup archive's checks: a damaged, foreign or newer archive is refused before a restore changes anything."""
import io
import json
import tarfile

import pytest

from monasca_docker import backup
from monasca_docker.errors import UserError


@pytest.fixture
def archive(tmp_path):
    """A whole archive of small parts, as `backup` writes it."""
    staging = tmp_path / "parts"
    staging.mkdir()
    parts = {}
    for number, part in enumerate(backup.PARTS):
        (staging / part.name).write_bytes(f"part {number} ".encode() * 1000)
        with (staging / part.name).open("rb") as file:
            parts[part.name] = {"bytes": (staging / part.name).stat().st_size, "sha256": backup.sha256(file)}
    manifest = {"format": backup.FORMAT, "made_by": "monasca-docker test", "started": "2026-12-07T10:00:00Z",
                "finished": "2026-12-07T10:01:00Z", "snapshot": "monasca-x", "mon_schema": "abc", "images": {},
                "parts": parts}
    path = tmp_path / "monasca.tar"
    backup.write_archive(path, manifest, staging)
    return path


def rewritten(source, target, change):
    """A copy of the archive with change(name, data) applied to each member's data."""
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old.getmembers():
            data = change(member.name, old.extractfile(member).read())
            member.size = len(data)
            new.addfile(member, fileobj=io.BytesIO(data))
    return target


def test_a_whole_archive_is_read_manifest_first_and_private(archive):
    manifest = backup.read_manifest(archive)
    assert set(manifest["parts"]) == {part.name for part in backup.PARTS}
    with tarfile.open(archive) as tar:
        assert tar.getnames()[0] == backup.MANIFEST
    assert archive.stat().st_mode & 0o077 == 0


def test_a_changed_byte_is_found_and_named(archive, tmp_path):
    name = backup.PARTS[2].name
    damaged = rewritten(archive, tmp_path / "damaged.tar",
                        lambda member, data: data[:-1] + b"X" if member == name else data)
    with pytest.raises(UserError, match=f"is damaged: {name} has"):
        backup.read_manifest(damaged)


def test_a_truncated_archive_is_refused(archive, tmp_path):
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[:archive.stat().st_size // 2])
    with pytest.raises(UserError, match="damaged"):
        backup.read_manifest(truncated)


def test_an_archive_of_a_newer_format_is_refused_with_the_way_out(archive, tmp_path):
    def newer(member, data):
        if member != backup.MANIFEST:
            return data
        return json.dumps({**json.loads(data), "format": backup.FORMAT + 1, "made_by": "monasca-docker 9.0"}).encode()
    with pytest.raises(UserError, match=r"newer monasca-docker \(monasca-docker 9.0.*restore it with that version"):
        backup.read_manifest(rewritten(archive, tmp_path / "newer.tar", newer))


def test_anything_else_is_no_backup(tmp_path):
    other = tmp_path / "other.tar"
    with tarfile.open(other, "w") as tar:
        tar.add(__file__, arcname="notes.txt")
    with pytest.raises(UserError, match="no monasca-docker backup"):
        backup.read_manifest(other)
    text = tmp_path / "text.tar"
    text.write_text("hello\n" * 100)
    with pytest.raises(UserError, match="damaged or no backup archive"):
        backup.read_manifest(text)
    with pytest.raises(UserError, match="no backup archive at"):
        backup.read_manifest(tmp_path / "missing.tar")
