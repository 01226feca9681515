"""`unmt translate` answers a line as soon as it is read when asked to (a terminal, or --buffer-size 1)."""
import subprocess
import sys
import threading

from unmt.translation.model_io import load_translator


def test_a_line_written_to_a_running_translate_comes_back_before_stdin_closes(tiny_run):
    checkpoints, name = tiny_run
    process = subprocess.Popen(
        [sys.executable, "-m", "unmt", "--quiet", "--checkpoints-dir", str(checkpoints), "translate", "--checkpoint",
         name, "--buffer-size", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        answers = []
        for line in ("Marie sees the small red car .", "Paul walks ."):
            process.stdin.write(line + "\n")
            process.stdin.flush()
            reader = threading.Thread(target=lambda: answers.append(process.stdout.readline()))
            reader.start()
            reader.join(timeout=120)
            assert not reader.is_alive(), "no answer while the input stays open"
        assert process.poll() is None  # still running: the answers came before the input ended
        translator = load_translator(checkpoints / name)[0]
        # each line alone (a batch's length cap is its own longest source)
        expected = [
            translator.translate([line], "fr")[0] for line in ("Marie sees the small red car .", "Paul walks .")
        ]
        assert answers == [text + "\n" for text in expected]
        process.stdin.close()
        assert process.wait(timeout=60) == 0 and process.stdout.read() == ""
    finally:
        process.kill()
