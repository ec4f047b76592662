"""The kernels and the papermill engine of ``rasl book`` (the book's extra: papermill,
jupyter_client), kept apart from :mod:`rasl.paper.book` so that importing that module
needs neither."""

from __future__ import annotations

import os
import shutil
import tempfile

from jupyter_client.manager import AsyncKernelManager
from papermill.engines import NBClientEngine, papermill_engines
from traitlets import default

ENGINE = "rasl-book"  # the name papermill knows :class:`BookEngine` by


class BookKernelManager(AsyncKernelManager):
    """The kernels of a build, without the noise a terminal would otherwise get from them.

    They talk over Unix sockets in a private temporary folder rather than local TCP ports,
    which ipykernel warns about (unencrypted); and a shutdown after the last cell sends no
    SIGINT: jupyter_client interrupts a kernel before asking it to shut down, in case a
    cell still runs, and a kernel answering a message at that moment logged
    "KeyboardInterrupt caught in kernel", which reads like a crash but was the shutdown.
    Everything else a kernel prints still reaches the terminal.
    """

    _sockets: str | None = None

    @default("transport")
    def _unix_sockets(self) -> str:
        return "ipc"

    @default("ip")
    def _in_a_private_folder(self) -> str:
        self._sockets = tempfile.mkdtemp(prefix="rasl-kernel-")  # a short path: sockets
        return os.path.join(self._sockets, "kernel")  # have a length limit

    async def _async_interrupt_kernel(self) -> None:
        if not self.shutting_down:
            await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._sockets:
            shutil.rmtree(self._sockets, ignore_errors=True)


class BookEngine(NBClientEngine):
    """papermill's nbclient engine, with :class:`BookKernelManager` and a call of
    ``on_cell(nb, index)`` as each cell of the notebook ``nb`` starts."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, on_cell=None, **kwargs):
        if on_cell is not None:
            start = nb_man.cell_start

            def cell_start(cell, cell_index=None, **kw):
                on_cell(nb_man.nb, cell_index)
                return start(cell, cell_index, **kw)

            nb_man.cell_start = cell_start
        return super().execute_managed_notebook(
            nb_man, kernel_name, kernel_manager_class=BookKernelManager, **kwargs
        )


papermill_engines.register(ENGINE, BookEngine)
