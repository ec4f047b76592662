"""The README's Python example runs as written, on a real video, offline."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_python_example_runs(shared_video, tmp_path):
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    video = shared_video("example2.mp4")  # 2 s with sound
    (tmp_path / "my_videos").mkdir()
    (tmp_path / "my_videos" / video.name).symlink_to(video)
    code = block.replace('"match.mp4"', repr(str(video)))
    code = code.replace(
        'rasl.profile("smoke")', 'rasl.profile("smoke").replace(train={"steps": 2})'
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert (tmp_path / "reel.mp4").stat().st_size > 0 and (
        tmp_path / "artifacts" / "last.pt"
    ).is_file()
