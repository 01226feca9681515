"""The machine a benchmark ran on, recorded next to its numbers."""
import os
import platform

import torch


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"cpu": cpu, "cores": os.cpu_count(), "gpu": gpu, "threads": torch.get_num_threads(), "torch": torch.__version__, "python": platform.python_version()}
