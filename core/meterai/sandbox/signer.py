"""Real signing with pyHanko: the stamp the sandbox puts on a document.

An incremental update with one visible signature field whose appearance is the
locally drawn specimen carrying the serial number's QR code, and the serial
number in the reason, the way the provider's adapter signs. On a page with
``/Rotate`` the specimen is turned against the page's rotation, so it stands
upright as the page is viewed, as iText-based signers (the provider's adapter
among them) draw a visible signature; the rectangle itself is unchanged. The signer's key and
chain come from :mod:`meterai.sandbox.pki`, so the result validates against the
sandbox CA and nothing else.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from asn1crypto import cms
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.rw_common import find_inherited_value_in_tree
from pyhanko.pdf_utils.writer import BasePdfFileWriter, init_xobject_dictionary
from pyhanko.sign import attributes, fields, signers
from pyhanko.sign.signers.pdf_cms import (
    GenericPdfSignedAttributeProviderSpec,
    PdfCMSSignedAttributes,
    format_signed_attributes,
)
from pyhanko.stamp import StaticContentStamp, StaticStampStyle

from meterai.sandbox.pki import Material
from meterai.specimen import specimen_image

STAMP_PX = 300
FIELD_PREFIX = "eMeterai"


@dataclass(frozen=True)
class Placement:
    """Where the stamp goes: a 0-based page index and a PDF user-space rectangle."""

    page_index: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class UprightStampStyle(StaticStampStyle):
    """pyHanko's static stamp, drawn turned by ``-rotate`` so it reads upright on a page
    shown turned by ``rotate`` (the page's ``/Rotate``, one of 0, 90, 180, 270)."""

    rotate: int = 0

    def create_stamp(
        self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict[str, Any]
    ) -> StaticContentStamp:
        return UprightStamp(writer, self, box)


class UprightStamp(StaticContentStamp):
    """Laid out in the box as the viewer shows it, then turned into the page's own frame.

    The form XObject keeps the field's box as its /BBox, so the widget's /Rect (what the
    provider and our verifier check) is exactly the rectangle asked for.
    """

    def __init__(
        self, writer: BasePdfFileWriter, style: UprightStampStyle, box: layout.BoxConstraints
    ) -> None:
        self._outer = box
        self._rotate = style.rotate % 360
        shown = box
        if self._rotate in (90, 270):
            shown = layout.BoxConstraints(width=box.height, height=box.width)
        super().__init__(writer, style, shown)

    def render(self) -> bytes:
        inner: bytes = super().render()  # type: ignore[no-untyped-call]
        if self._rotate == 0:
            return inner
        turn = _turn(self._rotate, self._outer.width, self._outer.height)
        return b"q %s cm %s Q" % (" ".join(f"{v:g}" for v in turn).encode(), inner)

    def as_form_xobject(self) -> generic.StreamObject:
        command_stream = self.render()  # first: rendering registers the resources
        xobject: generic.StreamObject = init_xobject_dictionary(
            command_stream=command_stream,
            box_width=self._outer.width,
            box_height=self._outer.height,
            resources=self._resources.as_pdf_object(),
        )
        return xobject


def _turn(rotate: int, width: float, height: float) -> tuple[float, ...]:
    """The matrix that turns content laid out as shown into a ``width`` × ``height`` box
    of a page the viewer turns clockwise by ``rotate``: the same turn, anticlockwise."""
    if rotate == 90:
        return (0, 1, -1, 0, width, 0)
    if rotate == 180:
        return (-1, 0, 0, -1, width, height)
    return (0, -1, 1, 0, 0, height)


def page_rotation(writer: IncrementalPdfFileWriter, page_index: int) -> int:
    """The page's ``/Rotate`` (inherited from the page tree if need be), 0 when unusable."""
    page_ref, _resources = writer.find_page_for_modification(page_index)  # type: ignore[no-untyped-call]
    page = page_ref.get_object()
    raw = find_inherited_value_in_tree(page, "/Rotate", "/Parent")  # type: ignore[no-untyped-call]
    try:
        value = int(raw) if raw is not None else 0
    except (TypeError, ValueError):
        return 0
    return value % 360 if value % 90 == 0 else 0


def stamp_style(sn: str, rotate: int = 0) -> StaticStampStyle:
    """The appearance: the specimen with the SN's QR, scaled into the rectangle."""
    image = PdfImage(specimen_image(STAMP_PX, sn))
    return UprightStampStyle(
        rotate=rotate,
        background=image,
        border_width=0,
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(0, 0, 0, 0),
            inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
        ),
    )


_SAME_EVERY_TIME = (
    attributes.SigningCertificateV2Provider,
    attributes.CMSAlgorithmProtectionProvider,
)
"""Signed attributes that depend only on the signer and the digest algorithm."""


class _ReusedAttribute(attributes.CMSAttributeProvider):
    """An attribute built once, handed out as parsed DER (which asn1crypto dumps as is)."""

    def __init__(self, attribute: cms.CMSAttribute) -> None:
        self.attribute = attribute
        self.attribute_type = attribute["type"].native

    async def get_attribute(self, dry_run: bool = False) -> cms.CMSAttribute:
        return self.attribute


class ParsedKeySigner(signers.SimpleSigner):
    """pyHanko's ``SimpleSigner`` with the private key parsed once, not per signature,
    and the signed attributes that never change built once.

    ``SimpleSigner.sign_raw`` re-parses the DER key on every call, and pyHanko signs
    twice per stamp (a dry run sizes the placeholder). OpenSSL 3 checks an RSA key
    when it is loaded, about 30 ms each time: that was two thirds of a stamp.

    asn1crypto encodes an object it built (not parsed) anew at every ``dump()``, down
    to the last leaf, and a signature dumps its signed attributes several times (to
    sign them, in the SignerInfo, in the SignedData): the signing-certificate-v2 and
    algorithm-protection attributes, the same for every stamp, were 15 of a stamp's
    25 ms of CPU. They are built by pyHanko's own providers on the first stamp and
    reused, parsed, after; the set of attributes and their DER stay pyHanko's.
    """

    def __init__(self, simple: signers.SimpleSigner) -> None:
        super().__init__(
            signing_cert=simple.signing_cert,
            signing_key=simple.signing_key,
            cert_registry=simple.cert_registry,
        )
        key = serialization.load_der_private_key(simple.signing_key.dump(), password=None)
        self._rsa_key = key if isinstance(key, RSAPrivateKey) else None
        self._reused: dict[tuple[str, str], _ReusedAttribute] = {}

    async def signed_attrs(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        attr_settings: PdfCMSSignedAttributes | None = None,
        content_type: str = "data",
        use_pades: bool = False,
        timestamper: Any = None,
        dry_run: bool = False,
        is_pdf_sig: bool = True,
    ) -> cms.CMSAttributes:
        """pyHanko's signed attributes for a PDF signature (its own choice of providers,
        as ``Signer.signed_attrs`` makes it), the constant ones reused; any other kind of
        signature goes to pyHanko unchanged."""
        if use_pades or not is_pdf_sig or self.signed_attr_prov_spec is not None:
            return await super().signed_attrs(
                data_digest,
                digest_algorithm,
                attr_settings,
                content_type,
                use_pades,
                timestamper,
                dry_run,
                is_pdf_sig,
            )
        spec = GenericPdfSignedAttributeProviderSpec(
            attr_settings=attr_settings or PdfCMSSignedAttributes(),
            signing_cert=self.signing_cert,
            signature_mechanism=self.get_signature_mechanism_for_digest,
            timestamper=timestamper,
        )
        providers = [
            await self._reuse(provider, digest_algorithm)
            if isinstance(provider, _SAME_EVERY_TIME)
            else provider
            for provider in spec.signed_attr_providers(data_digest, digest_algorithm)
        ]
        return await format_signed_attributes(
            data_digest, attr_provs=providers, content_type=content_type, dry_run=dry_run
        )

    async def _reuse(
        self, provider: attributes.CMSAttributeProvider, digest_algorithm: str
    ) -> attributes.CMSAttributeProvider:
        key = (provider.attribute_type, digest_algorithm)
        reused = self._reused.get(key)
        if reused is None:  # two threads racing here build the same value
            built = await provider.get_attribute()
            if built is None:
                return provider
            reused = _ReusedAttribute(cms.CMSAttribute.load(built.dump()))
            self._reused[key] = reused
        return reused

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if self._rsa_key is None or mechanism != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        digest: hashes.HashAlgorithm = getattr(hashes, digest_algorithm.upper())()
        return self._rsa_key.sign(data, PKCS1v15(), digest)


def reserved_bytes(signer: signers.Signer, md_algorithm: str) -> int:
    """The /Contents placeholder pyHanko would size for ``signer``, worked out once.

    Left to itself pyHanko signs every document twice: a dry run of the whole CMS
    (about a third of a stamp) only to measure it. Without a timestamp server or
    revocation data the size depends on the key and certificates alone, so one dry
    run serves every stamp. Same rule as pyHanko's estimate: twice the
    DER length (hex) plus a quarter of that again, even.
    """
    empty_digest = hashes.Hash(getattr(hashes, md_algorithm.upper())()).finalize()
    attrs = PdfCMSSignedAttributes(signing_time=datetime.now(UTC))
    dry = asyncio.run(
        signer.async_sign(empty_digest, md_algorithm, dry_run=True, signed_attr_settings=attrs)
    )
    test_len = len(dry.dump()) * 2
    return test_len + 2 * (test_len // 4)


class StampSigner:
    """Holds the loaded key and the placeholder's size so each stamp only pays for
    its own signature."""

    md_algorithm = "sha256"

    def __init__(self, material: Material) -> None:
        simple = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
            key_file=str(material.signer_key),
            cert_file=str(material.signer_cert),
            ca_chain_files=(str(material.ca_file),),
        )
        if simple is None:
            raise RuntimeError(f"cannot load the sandbox signing key from {material.signer_key}")
        self.signer = ParsedKeySigner(simple)

    @cached_property
    def bytes_reserved(self) -> int:
        """Measured on the first stamp, on a signing thread (it runs an event loop of
        its own, as ``sign_pdf`` does); two threads racing here get the same size."""
        return reserved_bytes(self.signer, self.md_algorithm)

    def sign(self, data: bytes, sn: str, placement: Placement, reason: str, location: str) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        field_name = f"{FIELD_PREFIX}-{sn}"
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            reason=f"[{sn}] {reason}",
            location=location or None,
            md_algorithm=self.md_algorithm,
        )
        spec = fields.SigFieldSpec(
            sig_field_name=field_name,
            on_page=placement.page_index,
            box=placement.box,  # type: ignore[arg-type]
        )
        style = stamp_style(sn, page_rotation(writer, placement.page_index))
        pdf_signer = signers.PdfSigner(
            meta, signer=self.signer, stamp_style=style, new_field_spec=spec
        )
        out = io.BytesIO()
        pdf_signer.sign_pdf(writer, output=out, bytes_reserved=self.bytes_reserved)
        return out.getvalue()


def sign_file(material: Material, src: Path, sn: str, placement: Placement) -> bytes:
    """One-shot signing for scripts and the bench."""
    return StampSigner(material).sign(src.read_bytes(), sn, placement, "e-Meterai", "")
