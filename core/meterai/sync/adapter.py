"""The real provider behind the engine's ``Provider`` port: ``ProviderClient`` over HTTPS."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import IO, cast

from meterai.provider import ProviderClient, SigningParams, StampRequestFields
from meterai.provider.schemas import SnListEntry, result_name
from meterai.sync.ports import Progress, SerialInfo, SerialOrder, Sink, StampOrder


class ClientProvider:
    def __init__(self, client: ProviderClient) -> None:
        self.client = client

    def upload(self, path: Path, progress: Progress) -> str:
        return self.client.upload(path, progress).file_id

    def buy_serial(self, order: SerialOrder) -> str:
        fields = StampRequestFields(
            idfile=order.file_id,
            namadoc=order.doc_type,
            namafile=order.namafile,
            nodoc=order.nodoc,
            tgldoc=dt.date.fromisoformat(order.tgldoc) if order.tgldoc else dt.date.today(),
            nilaidoc=order.nilaidoc,
            namejidentitas=order.namejidentitas,
            noidentitas=order.noidentitas,
            namedipungut=order.namedipungut,
        )
        return self.client.request_serial(fields).sn

    def reassign_serial(self, sn: str, *, nodoc: str, doc_type: str, namafile: str) -> None:
        self.client.reassign_serial(sn, nodoc=nodoc, namadoc=doc_type, namafile=namafile)

    def stamp(self, order: StampOrder) -> str:
        params = SigningParams(
            file_id=order.file_id,
            sn=order.sn,
            # The provider names the QR image after the serial number; deriving it keeps a
            # recovered SN (whose purchase answer was lost) stampable.
            specimen=f"{order.sn}.png",
            page=order.page,
            rect=order.rect,
            reason=order.reason,
            location=order.location,
            retry=order.retry,
        )
        return self.client.stamp(params).url_file

    def download(self, url: str, sink: Sink, progress: Progress) -> None:
        self.client.download(url, cast(IO[bytes], sink), progress)

    def serials(self) -> list[SerialInfo]:
        return [
            SerialInfo(
                sn=e.sn,
                stamped=e.status == "STAMP",
                namafile=e.namafile,
                nodoc=e.nodoc,
                file=_stamped_file(e) if e.status == "STAMP" else "",
            )
            for e in self.client.sn_list()
        ]

    def serial_status(self, sn: str) -> SerialInfo | None:
        status = self.client.sn_status(sn)
        if status is None:
            return None
        stamped = status.status == "STAMP"
        return SerialInfo(sn=sn, stamped=stamped, file=result_name(status.file) if stamped else "")

    def result_url(self, file_id: str) -> str:
        if not file_id:
            raise ValueError("a result location needs the provider's file id")
        return f"final_{file_id}.pdf"


def _stamped_file(entry: SnListEntry) -> str:
    """The result's name from the record's ``file``, else from the id the SN was bought for."""
    return result_name(entry.file) or result_name(entry.idfile)
