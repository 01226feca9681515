"""Many processes with torch.distributed, set up from the environment `torchrun` gives each of them.

Without RANK/WORLD_SIZE in the environment (a plain `unmt train`) there is one process and every helper here is
the identity, so a single-process run is exactly what it was. Under torchrun each process (rank) trains on its own
share of the data; after every backward pass the ranks add their gradients in one all-reduce, as
DistributedDataParallel does, and each loss is normalised by the global count of what it averages over (tokens,
encoder states), so the world's step equals one process's step on the whole global batch. Rank 0 alone evaluates
and writes the run folder.
"""
from __future__ import annotations

import datetime
import logging
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from unmt.errors import ConfigError

log = logging.getLogger("unmt")

# How long a rank waits for the others to join: a mistyped address fails in this time instead of hanging.
JOIN_TIMEOUT = datetime.timedelta(seconds=int(os.environ.get("UNMT_DIST_JOIN_SECONDS", "120")))
# How long a rank waits for the others at a collective once training: longer than any evaluation takes.
TIMEOUT = datetime.timedelta(minutes=int(os.environ.get("UNMT_DIST_TIMEOUT_MINUTES", "30")))


@dataclass
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0
    group: object = None  # the process group of training's collectives (None: the default group)

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def device(self, name: str) -> torch.device:
        """The device this rank trains on: with CUDA, the GPU of its local rank."""
        if name == "auto":
            name = "cuda" if torch.cuda.is_available() else "cpu"
        if name == "cuda" and self.distributed:
            return torch.device("cuda", self.local_rank)
        return torch.device(name)

    def sum_(self, tensor: torch.Tensor) -> torch.Tensor:
        """Adds `tensor` over all ranks, in place."""
        if self.distributed:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM, group=self.group)
        return tensor

    def global_counts(self, counts: list[int], device: torch.device) -> list[float]:
        """Each count summed over all ranks (one small collective for all of them)."""
        if not self.distributed:
            return [float(c) for c in counts]
        return self.sum_(torch.tensor(counts, dtype=torch.float64, device=device)).tolist()

    def sum_gradients_(self, parameters: list[torch.Tensor], finite: bool) -> bool:
        """Adds every rank's gradients in one all-reduce (a parameter without a gradient this step counts as zeros,
        so phases and zero-weighted losses never leave ranks waiting on each other), and learns in the same
        collective whether every rank's loss was finite."""
        if not self.distributed:
            return finite
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in parameters]
        flag = torch.zeros(1, dtype=grads[0].dtype, device=grads[0].device) + (0.0 if finite else 1.0)
        flat = torch.cat([g.reshape(-1) for g in grads] + [flag])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM, group=self.group)
        if flat[-1].item() > 0:
            return False
        offset = 0
        for p in parameters:
            p.grad = flat[offset : offset + p.numel()].view_as(p).clone()
            offset += p.numel()
        return True

    def average_gradients_(self, parameters: list[torch.Tensor], finite: bool) -> bool:
        """The mean of the ranks' gradients: for losses that are means over equal per-rank batches (the GANs)."""
        everywhere = self.sum_gradients_(parameters, finite)
        if everywhere and self.distributed:
            for p in parameters:
                p.grad.div_(self.size)
        return everywhere

    def gather(self, value) -> list:
        """Every rank's `value` (any picklable object), in rank order, on every rank."""
        if not self.distributed:
            return [value]
        values = [None] * self.size
        dist.all_gather_object(values, value, group=self.group)
        return values

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier(group=self.group)

    def broadcast_(self, module: torch.nn.Module) -> None:
        """Rank 0's weights on every rank."""
        if self.distributed:
            for tensor in module.state_dict().values():
                dist.broadcast(tensor, src=0, group=self.group)


def world_from_environment(device: str = "auto") -> World:
    """The World described by torchrun's variables; initialises the process group (gloo on CPU, nccl on CUDA)."""
    if "WORLD_SIZE" not in os.environ or int(os.environ["WORLD_SIZE"]) <= 1:
        return World()
    missing = [name for name in ("RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT") if name not in os.environ]
    if missing:
        raise ConfigError(
            f"WORLD_SIZE is set but {', '.join(missing)} is not: launch with torchrun, which sets them all"
        )
    world = World(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ["LOCAL_RANK"]))
    uses_cuda = world.device(device).type == "cuda"
    backend = "nccl" if uses_cuda else "gloo"
    if not dist.is_initialized():
        if uses_cuda:
            torch.cuda.set_device(world.local_rank)
        try:  # joining gets a short timeout; training's collectives a long one, on a group of their own
            dist.init_process_group(backend, rank=world.rank, world_size=world.size, timeout=JOIN_TIMEOUT)
        except (RuntimeError, ValueError) as error:  # an unreachable or malformed MASTER_ADDR:MASTER_PORT
            address = f"{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}"
            raise ConfigError(f"rank {world.rank} could not join the other {world.size - 1} process(es) at {address} "
                              f"within {JOIN_TIMEOUT.seconds} s ({str(error).splitlines()[0][:160]}); check the "
                              "rendezvous address and that every process was started") from None
    world.group = dist.new_group(backend=backend, timeout=TIMEOUT)
    if world.is_main:
        log.info("distributed training: %d processes, backend %s", world.size, dist.get_backend())
    return world


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
