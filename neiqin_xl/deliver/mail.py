"""The last step of the day: compose the messages, keep them in the outbox, send them, remember what went out.

    deliveries → group by recipients → compose (jinja2 templates) → .eml in outbox/<date>/ → SMTP → 已发送/

- **Composition.** ``compose`` builds the whole MIME message itself (``email`` package): a Chinese subject
  with the key figure, a multipart/alternative body (plain text + HTML rendered from
  ``templates/email/*.j2``, the HTML sent without a single newline), and the workbooks attached. Every
  attachment carries ``Content-Disposition: attachment; filename*=utf-8''…`` (RFC 2231) *and*
  ``Content-Type: …; name="=?utf-8?b?…?="`` (RFC 2047), so Outlook, Foxmail, the QQ/163 web mail and phone
  clients all show the Chinese file name. The bytes written to the .eml are exactly the bytes sent.
- **Grouping.** Deliveries for the same run date and the same (to, cc) set go in one message; a delivery
  with ``rep`` set goes to that rep only (address from 人员.邮箱), in a message holding that rep's
  deliveries only, never grouped with anybody else's. A customer's 发货通知 (``Delivery.customer``) goes to the
  customer's address from 客户档案, with no attachment, in a message of that customer's notices only.
- **Transport: yagmail is used for the connection only.** ``yagmail.SMTP(...).login()`` opens the SSL (465),
  STARTTLS (587) or plain (local relay) connection and logs in; the composed bytes go through
  ``yag.smtp.sendmail``. This avoids yagmail's traps, each of which has a test in tests/deliver/test_mail.py:
  it turns every newline of an HTML body into ``<br>``; it attaches a body string that happens to equal a
  file path; it adds no Content-Disposition to non-``application/*`` attachments; its ``send`` returns
  ``False`` after three silent retries instead of raising; it has no timeout (we pass
  ``email.timeout_seconds``); it does not verify the server certificate (we pass
  ``ssl.create_default_context()`` for ssl and starttls); without a password it raises ``NameError`` (no
  keyring) or prompts on the console (we always pass the password, and with a user but no password we
  fail with a clear reason before connecting). With no ``email.user`` the login is skipped (local relay).
- **Password** from the environment variable ``email.password_env`` (default NEIQIN_SMTP_PASSWORD), else
  ``keyring.get_password("neiqin_xl", user)`` when the keyring package is installed. Never from a file,
  never prompted.
- **Outbox and state.** Every message is first written to ``<workspace>/outbox/<date>/*.eml`` (Outlook opens
  it as is) and recorded in the workspace's SQLite state (``deliver.run_state``) as ``sending``; after the server
  accepted it, it is marked ``sent`` (``partial``, 部分送达, when some recipients were refused: never
  "sent", and never mailed to the others again) and the file moves to ``outbox/<date>/已发送/``. An .eml
  open in Outlook is not overwritten: the message is written beside it (``saving.write_file``) and the
  state records where. With e-mail off (``email.enabled: false`` or no host) or ``no_email=True``,
  messages stay in the outbox with status ``outbox``. A send that fails for a temporary reason (server
  down, timeout, 4xx) is tried ``email.retries`` more times with back-off ``backoff_seconds × 2^k``, then
  stays in the outbox as ``failed``; ``send_pending`` (called first by the next run) sends those. A
  permanent refusal (5xx) is not retried within the run; when the server refused the message itself (its recipients, sender or content)
  it is tried again in at most ``email.max_attempts`` runs, then marked ``given_up``.
- **A demo workspace** (its DEMO.txt; ``Settings.is_demo``) says 演示数据 in every subject and body, and
  sends only to the demo's own addresses: those at example.com (or .org, .net; RFC 2606 reserves them, no
  one receives them), which is all the demo's 人员.xlsx and the shipped config.yaml hold. A message with
  any other recipient stays in the outbox (``outbox``, the reason says why): invented figures never reach
  a real general manager.
- **One transport per run.** ``start_sending`` opens it and both ``send_pending`` and ``deliver`` use it.
  When the server cannot be reached, the login is refused or the certificate is not trusted, the rest of
  the run's messages are marked failed at once ("本次运行未尝试 …"): one login attempt per run, never one
  per message (repeated wrong passwords lock hosted mailboxes).
- **Once per report per date.** A delivery (report + title) already sent (wholly or partly) or given up for
  the same audience and run date is skipped (status ``skipped``, reason 已发送 / 已放弃) unless ``resend=True``.
  A customer's notice is said once ever: skipped when any earlier run of any date made it (sent, in the
  outbox, failed and waiting for ``send_pending`` …), ``resend`` or not.
- **A crash mid-send is never a second copy.** A message is marked ``sending`` before it leaves; a run
  killed then leaves it so, and nobody can tell whether the server accepted it. The next run that sends
  (one at a time per workspace: runlock.py) marks such a message ``unknown`` (结果未知), lists it with its
  .eml and exits 3; it is not sent again (it counts as settled) unless ``--resend``. The clerk asks the
  recipient, and sends the .eml from Outlook if it never arrived.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import mimetypes
import os
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy as email_policy
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..core.config import Settings
from ..core.output import Delivery
from .run_state import MessageRow, RunState
from ..books.roster import missing_or_stale
from ..books.workdays import is_workday
from ..core.files import safe_filename
from ..core.names import normalize_name
from .saving import write_file

log = logging.getLogger("neiqin_xl.mail")

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "email"
SENT_SUBFOLDER = "已发送"
KEYRING_SERVICE = "neiqin_xl"
FALLBACK_SENDER = "neiqin_xl@localhost"  # From of .eml files written while e-mail is off
WIRE_POLICY = email_policy.compat32.clone(linesep="\r\n")  # keeps our RFC 2047 name= parameter as written

OUTBOX, SENT, FAILED, SKIPPED = "outbox", "sent", "failed", "skipped"
PARTIAL, GIVEN_UP = "partial", "given_up"  # 部分送达 (some recipients refused); refused in max_attempts runs
UNKNOWN = "unknown"  # 结果未知: its send was interrupted (the run was killed); not sent again by itself
UNDELIVERED = (FAILED, PARTIAL, GIVEN_UP, UNKNOWN)  # a run with any of these exits 3
ADMIN = "admin"  # the report key of the notice to the clerk (email.admin)
DEMO_DOMAINS = ("example.com", "example.org", "example.net")  # RFC 2606: the only addresses a demo mails


# ---------------------------------------------------------------------------- who gets what

@dataclass(frozen=True)
class Audience:
    """The recipients of one message: configured to/cc lists, or one rep."""

    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    rep: str | None = None
    customer: str | None = None  # a customer's own message (发货通知): sent once ever, never with anyone else's

    @property
    def key(self) -> str:
        if self.rep is not None:
            return f"rep:{self.rep}"
        if self.customer is not None:
            return f"customer:{self.customer}|to:{','.join(sorted(self.to))}"
        return f"to:{','.join(sorted(self.to))}|cc:{','.join(sorted(self.cc))}"

    @property
    def recipients(self) -> list[str]:
        return list(dict.fromkeys([*self.to, *self.cc]))


@dataclass
class Group:
    """Deliveries that travel in one message."""

    audience: Audience
    deliveries: list[Delivery]

    @property
    def reports(self) -> str:
        return "+".join(dict.fromkeys(d.report for d in self.deliveries))


def clean_addresses(addresses: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Stripped, without blanks or repeats, in the order given."""
    return tuple(dict.fromkeys(a.strip() for a in addresses if a and a.strip()))


def rep_address(staff: pd.DataFrame | None, rep: str) -> str | None:
    """The rep's address from the 人员 table (姓名, 邮箱, names compared normalised as the roster does), or None."""
    if staff is None or staff.empty or "姓名" not in staff.columns or "邮箱" not in staff.columns:
        return None
    for name, address in zip(staff["姓名"].map(normalize_name), staff["邮箱"]):
        if name and name == normalize_name(rep) and isinstance(address, str) and "@" in address:
            return address.strip()
    return None


DEFAULT_ROLES = {"audit": "销售经理", "review": "销售经理", "tenders": "销售经理"}  # a recipients key left unset goes to the 人员 rows with this 角色


def role_addresses(staff: pd.DataFrame | None, role: str) -> tuple[str, ...]:
    """The addresses (人员 邮箱) of the people whose 角色 is ``role``."""
    if staff is None or staff.empty or not {"角色", "邮箱"} <= set(staff.columns):
        return ()
    return clean_addresses([a for r, a in zip(staff["角色"], staff["邮箱"])
                            if isinstance(r, str) and r.strip() == role and isinstance(a, str) and "@" in a])


def resolve_audience(delivery: Delivery, settings: Settings, staff: pd.DataFrame | None) -> Audience | str:
    """Who receives ``delivery``; a reason (str) when nobody does."""
    if delivery.rep:
        address = rep_address(staff, delivery.rep)
        if not address:
            return f"no recipients: 人员表中没有 {delivery.rep} 的邮箱"
        return Audience(to=(address,), rep=delivery.rep)
    if delivery.customer:
        to = clean_addresses(delivery.to)
        cc = (rep_address(staff, delivery.copy_rep),) if delivery.copy_rep and rep_address(staff, delivery.copy_rep) else ()
        return Audience(to=to, cc=cc, customer=delivery.customer) if to else f"no recipients: 客户档案中没有 {delivery.customer} 的邮箱"
    if delivery.report == ADMIN:
        to = clean_addresses(settings.email.admin)
        return Audience(to=to) if to else "no recipients: config.yaml 中 email.admin 没有收件人"
    configured = settings.email.recipients.get(delivery.report)
    to = clean_addresses(configured.to) if configured else ()
    cc = clean_addresses(configured.cc) if configured else ()
    if configured is None and delivery.report in DEFAULT_ROLES:
        to = role_addresses(staff, DEFAULT_ROLES[delivery.report])
        if not to:
            return (f"no recipients: config.yaml 中没有 email.recipients.{delivery.report}, "
                    f"人员表中也没有角色为 {DEFAULT_ROLES[delivery.report]} 且有邮箱的人")
    if not to and not cc:
        return f"no recipients: config.yaml 中 email.recipients.{delivery.report} 没有收件人"
    return Audience(to=to or cc, cc=cc if to else ())


def group_deliveries(settings: Settings, deliveries: list[Delivery], staff: pd.DataFrame | None,
                     per_recipient: bool = False) -> tuple[list[Group], list[tuple[Delivery, str]]]:
    """One group per audience (first-seen order), and the deliveries nobody receives with the reason. With
    ``per_recipient`` (a missed day caught up), a configured list is split into its addresses, so that each
    person gets one message for the day whatever lists they are on (a rep's own and a customer's messages stay
    apart: what a rep is sent holds only their data; a customer is told alone)."""
    groups: dict[str, Group] = {}
    unrouted: list[tuple[Delivery, str]] = []
    for d in deliveries:
        audience = resolve_audience(d, settings, staff)
        if isinstance(audience, str):
            unrouted.append((d, audience))
            continue
        split = per_recipient and audience.rep is None and audience.customer is None
        for one in [Audience(to=(r,)) for r in audience.recipients] if split else [audience]:
            groups.setdefault(one.key, Group(one, [])).deliveries.append(d)
    return list(groups.values()), unrouted


SAME_MESSAGE_LABELS = ("补发 ", "更正 ")  # runs.label_deliveries' marks that do not make a message new


def item_key(delivery: Delivery) -> str:
    """What 'sent once per report per date' counts: the report key and its title without a 补发 / 更正
    mark (with the date and the audience, the message's identity: a catch-up of a day a killed run half
    sent does not send the other half again), and its ``identity`` when it has one (the clerk's notice: what it
    says). A 预览 stays its own item: a preview never uses up the day."""
    title = delivery.title
    for label in SAME_MESSAGE_LABELS:
        title = title.removeprefix(label)
    return f"{delivery.report}|{title}" + (f"|{delivery.identity}" if delivery.identity else "")


# ---------------------------------------------------------------------------- composing

def template_environment(template_dir: Path = TEMPLATE_DIR) -> Environment:
    return Environment(loader=FileSystemLoader(str(template_dir)), undefined=StrictUndefined,
                       autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
                       trim_blocks=True, lstrip_blocks=True)


def one_line_html(markup: str) -> str:
    """HTML without newlines: whitespace between tags dropped, other line breaks become a space."""
    markup = re.sub(r">\s*[\r\n]\s*<", "><", markup)
    markup = re.sub(r"\s*[\r\n]+\s*", " ", markup)
    return markup.strip()


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def render_bodies(settings: Settings, run_date: date, deliveries: list[Delivery], rep: str | None,
                  attachment_names: list[str], template_dir: Path = TEMPLATE_DIR, *,
                  customer: str | None = None) -> tuple[str, str, str]:
    """(subject, html, text) from the jinja2 templates; a demo workspace's say 演示数据 (``demo``); a
    customer's (``customer``) greets the customer."""
    env = template_environment(template_dir)
    values = dict(run_date=run_date, deliveries=deliveries, rep=rep, customer=customer, company=settings.company,
                  attachments=attachment_names, demo=settings.is_demo)
    subject = one_line(env.get_template("subject.j2").render(**values))
    body_html = one_line_html(env.get_template("body.html.j2").render(**values))
    body_text = env.get_template("body.txt.j2").render(**values).strip() + "\n"
    return subject, body_html, body_text


def encoded_words(text: str, max_bytes: int = 45) -> str:
    """RFC 2047 base64 encoded-words for a parameter value, split on character boundaries."""
    words, current = [], ""
    for ch in text:
        if current and len((current + ch).encode("utf-8")) > max_bytes:
            words.append(current)
            current = ch
        else:
            current += ch
    words.append(current)
    return " ".join(f"=?utf-8?b?{base64.b64encode(w.encode('utf-8')).decode('ascii')}?=" for w in words)


def text_part(content: str, subtype: str) -> EmailMessage:
    part = EmailMessage(policy=WIRE_POLICY)
    part.set_payload(content, "utf-8")  # base64, charset utf-8
    part.set_type(f"text/{subtype}")
    del part["MIME-Version"]  # set_payload adds one; only the top level needs it
    return part


def attachment_part(path: Path) -> EmailMessage:
    """The file as an attachment: base64, Content-Disposition attachment, the name in RFC 2231 and 2047."""
    name = path.name
    ctype, encoding = mimetypes.guess_type(name)
    if ctype is None or encoding is not None:
        ctype = "application/octet-stream"
    part = EmailMessage(policy=WIRE_POLICY)
    part["Content-Type"] = ctype
    part.set_param("name", encoded_words(name) if not name.isascii() else name)
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(path.read_bytes()).decode("ascii"))
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name) if not name.isascii() else name)
    return part


def attachment_files(deliveries: list[Delivery]) -> list[Path]:
    """The files of all deliveries, each once, in order."""
    return list(dict.fromkeys(Path(a) for d in deliveries for a in d.attachments))


def sender_address(settings: Settings) -> str:
    return (settings.email.sender or settings.email.user or "").strip()


def compose(settings: Settings, run_date: date, deliveries: list[Delivery], to: list[str] | tuple[str, ...],
            cc: list[str] | tuple[str, ...] = (), *, rep: str | None = None, customer: str | None = None,
            template_dir: Path = TEMPLATE_DIR) -> EmailMessage:
    """The complete message for ``deliveries`` (usable alone: ``compose(...).as_bytes()`` is a valid .eml).

    Attachments are the deliveries' files; a missing file raises FileNotFoundError naming it. Body strings
    are only ever text: a summary equal to a file path is shown, never attached.
    """
    files = attachment_files(deliveries)
    for path in files:
        if not path.is_file():
            raise FileNotFoundError(f"附件不存在: {path}")
    names = [p.name for p in files]
    subject, body_html, body_text = render_bodies(settings, run_date, deliveries, rep, names, template_dir,
                                                  customer=customer)
    sender = sender_address(settings) or FALLBACK_SENDER
    display = f"{settings.company.name} {settings.company.contact}".strip()

    msg = EmailMessage(policy=WIRE_POLICY)
    msg["Content-Type"] = "multipart/mixed"
    msg["MIME-Version"] = "1.0"
    msg["From"] = formataddr((display, sender), charset="utf-8")
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = Header(subject, "utf-8")
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid("neiqin", domain=sender.rpartition("@")[2] or "localhost")
    msg["X-Neiqin-Reports"] = "+".join(dict.fromkeys(d.report for d in deliveries))
    msg["X-Neiqin-Run-Date"] = run_date.isoformat()

    body = EmailMessage(policy=WIRE_POLICY)
    body["Content-Type"] = "multipart/alternative"
    body.attach(text_part(body_text, "plain"))
    body.attach(text_part(body_html, "html"))
    msg.attach(body)
    for path in files:
        msg.attach(attachment_part(path))
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    """The bytes written to the .eml and sent: CRLF line ends, headers as composed."""
    return msg.as_bytes(policy=WIRE_POLICY)


def eml_path(settings: Settings, run_date: date, group: Group) -> Path:
    """Stable per (date, deliveries, audience): a rerun overwrites its own unsent file. A rep's name is never
    cut off (the clerk finds a rep's message by it): the titles are shortened instead."""
    titles = "+".join(d.title for d in group.deliveries)
    rep = f"_{safe_filename(group.audience.rep, 20)}" if group.audience.rep else ""
    label = safe_filename(titles, 70 - len(rep)) + rep
    digest = hashlib.sha1("\n".join([run_date.isoformat(), group.audience.key,
                                     *sorted(item_key(d) for d in group.deliveries)]).encode("utf-8")).hexdigest()[:8]
    return settings.folder("outbox") / run_date.isoformat() / f"{label}_{digest}.eml"


# ---------------------------------------------------------------------------- sending

def email_configured(settings: Settings) -> bool:
    return bool(settings.email.enabled and settings.email.host.strip())


def is_demo_address(address: str) -> bool:
    """An address of the demo's own (example.com, .org, .net, or below them): nobody's real mailbox.

    >>> is_demo_address("gm@example.com"), is_demo_address("x@mail.Example.org"), is_demo_address("gm@example.com.cn")
    (True, True, False)
    """
    domain = address.strip().rpartition("@")[2].rstrip(">").lower()
    return any(domain == d or domain.endswith("." + d) for d in DEMO_DOMAINS)


def demo_hold(settings: Settings, recipients: list[str] | tuple[str, ...]) -> str:
    """Why a message is kept in the outbox instead of sent: a demo workspace's message to an address not
    the demo's own (the reason names them); '' when it may be sent."""
    if not settings.is_demo:
        return ""
    real = [a for a in recipients if not is_demo_address(a)]
    return f"演示数据只发给演示地址 (example.com): {', '.join(real)} 不是, 未发送, 已写入待发箱" if real else ""


def find_password(settings: Settings) -> str | None:
    """From the environment variable ``email.password_env``, else the system keyring if installed; never a prompt."""
    value = os.environ.get(settings.email.password_env, "") if settings.email.password_env else ""
    if value:
        return value
    try:
        import keyring  # optional
    except Exception:  # not installed, or no usable backend
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, settings.email.user) or None
    except Exception as exc:  # a keyring backend failing must not stop the run
        log.warning("读取系统钥匙串失败: %s", exc)
        return None


def missing_password_reason(settings: Settings) -> str:
    return (f"密码未设置: 请设置环境变量 {settings.email.password_env} "
            f"(或用 keyring 保存: 服务 {KEYRING_SERVICE}, 用户 {settings.email.user})")


class ResultUnknown(Exception):
    """The connection timed out or dropped after the message's DATA was sent: the server may have taken it.
    Never "temporary": retrying could deliver it twice (结果未知 until the clerk says otherwise)."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause
        self.at = datetime.now()


AUTH_PREFERENCE = ("PLAIN", "LOGIN")  # one mechanism per attempt: each one tried is the password submitted once


def connect(settings: Settings, password: str | None, sender: str):
    """An open connection (yagmail makes it: SSL, STARTTLS or plain), logged in when ``email.user`` is set,
    with ONE authentication mechanism (smtplib's ``login`` submits the password again with every mechanism
    the server offers when the first is refused: hosted mailboxes lock after a few failures)."""
    import yagmail  # only here: mail.py is the one module that uses it

    e = settings.email
    context = ssl.create_default_context()
    connection_args: dict = {"timeout": e.timeout_seconds}
    if e.security == "ssl":
        connection_args["context"] = context
    yag = yagmail.SMTP(user=e.user or sender, password=password or "", host=e.host, port=e.port,
                       smtp_ssl=e.security == "ssl",
                       smtp_starttls={"context": context} if e.security == "starttls" else False,
                       smtp_skip_login=True, soft_email_validation=False, **connection_args)
    try:
        yag.login()  # connects (and STARTTLS); the login is ours
        if e.user:
            authenticate(yag.smtp, e.user, password or "")
    except BaseException:
        yag.close()
        raise
    return yag


def authenticate(smtp: smtplib.SMTP, user: str, password: str) -> None:
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("服务器不支持 SMTP AUTH")
    offered = smtp.esmtp_features["auth"].upper().split()
    mechanism = next((m for m in AUTH_PREFERENCE if m in offered), None)
    if mechanism is None:
        raise smtplib.SMTPNotSupportedError(f"服务器只提供 {' '.join(offered)} 登录方式, 本程序支持 PLAIN / LOGIN")
    smtp.user, smtp.password = user, password
    smtp.auth(mechanism, getattr(smtp, f"auth_{mechanism.lower()}"), initial_response_ok=True)


def send_bytes(smtp: smtplib.SMTP, sender: str, recipients: list[str], data: bytes) -> dict:
    """smtplib's ``sendmail``, except that once DATA is under way a timeout or a dropped connection raises
    ``ResultUnknown`` (the server may have the message). Returns the refused recipients."""
    smtp.ehlo_or_helo_if_needed()
    options = [f"size={len(data)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
    code, resp = smtp.mail(sender, options)
    if code != 250:
        smtp.close() if code == 421 else smtp.rset()
        raise smtplib.SMTPSenderRefused(code, resp, sender)
    refused = {}
    for address in recipients:
        code, resp = smtp.rcpt(address)
        if code not in (250, 251):
            refused[address] = (code, resp)
        if code == 421:
            smtp.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        smtp.rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    try:
        code, resp = smtp.data(data)
    except smtplib.SMTPResponseException:
        raise  # the server answered: a refusal, not an unknown
    except OSError as exc:  # timeout, connection reset or closed, SMTPServerDisconnected
        smtp.close()
        raise ResultUnknown(exc) from exc
    if code != 250:
        smtp.rset()
        raise smtplib.SMTPDataError(code, resp)
    return refused


def is_permanent(exc: BaseException) -> bool:
    """A refusal that retrying cannot fix (wrong password, address refused, bad certificate)."""
    if isinstance(exc, (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused, smtplib.SMTPNotSupportedError,
                        ssl.SSLCertVerificationError)):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False


def is_unreachable(exc: BaseException) -> bool:
    """The server itself cannot be reached: no point trying the other messages of the batch."""
    return isinstance(exc, (ConnectionError, TimeoutError, socket.timeout, socket.gaierror,
                            smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)) and not is_permanent(exc)


def timed_out(exc: BaseException) -> bool:
    """A timeout, also when smtplib wrapped it (SMTPServerDisconnected raised while handling it)."""
    while exc is not None:
        if isinstance(exc, (TimeoutError, socket.timeout)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_text(exc: smtplib.SMTPResponseException) -> str:
    error = exc.smtp_error
    return error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)


def describe_error(exc: BaseException, settings: Settings) -> str:
    """A reason the clerk can act on."""
    where = f"{settings.email.host}:{settings.email.port}"
    if isinstance(exc, ResultUnknown):
        what = "没有应答 (超时)" if timed_out(exc.cause) else "断开了连接"
        return (f"发送结果未知: 邮件内容已发出后, 邮件服务器 {where} {what} ({exc.at:%Y-%m-%d %H:%M}); 服务器可能已收到, "
                f"不会自动重发以免重复")
    if timed_out(exc):
        return f"连接邮件服务器超时 {where} ({settings.email.timeout_seconds:g} 秒)"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (f"登录被拒绝 {where} (用户 {settings.email.user}, 用户名或密码错误; 本次运行不再尝试登录): "
                f"{exc.smtp_code} {server_text(exc)}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "收件人被拒绝: " + refused_text(exc.recipients)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"服务器证书校验失败 {where}: {exc.verify_message or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return f"无法连接邮件服务器 {where}: 连接被拒绝"
    if isinstance(exc, (OSError,)) and not isinstance(exc, smtplib.SMTPException):
        return f"无法连接邮件服务器 {where}: {exc}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"邮件服务器拒绝: {exc.smtp_code} {server_text(exc)}"
    return f"{type(exc).__name__}: {exc}"


def refused_text(refused: dict) -> str:
    """``{address: (code, text)}`` as smtplib gives it → "a@x (550 5.1.1 no such user), …"."""
    parts = []
    for address, (code, text) in refused.items():
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        parts.append(f"{address} ({code} {text})")
    return ", ".join(parts)


def stops_batch(exc: BaseException) -> bool:
    """A failure every other message of the run would meet too: the server unreachable, the login refused
    (one login attempt per run: repeated wrong passwords lock hosted mailboxes), an untrusted certificate."""
    return is_unreachable(exc) or isinstance(exc, (smtplib.SMTPAuthenticationError, ssl.SSLCertVerificationError))


def message_refused(exc: BaseException) -> bool:
    """The server refused this message for good (its recipients, its sender, its content): counted per run
    toward ``email.max_attempts``. A refused login or an unreachable server is not the message's fault."""
    return is_permanent(exc) and not stops_batch(exc) and isinstance(exc, smtplib.SMTPException)


@dataclass
class Attempt:
    ok: bool
    reason: str = ""
    attempts: int = 0
    stops_batch: bool = False  # the rest of the run's messages are not tried (see ``stops_batch``)
    refused: bool = False  # the server refused the message itself (see ``message_refused``)
    partial: str = ""  # accepted, but these recipients were refused: "a@x (550 …)"
    unknown: bool = False  # DATA was sent, then a timeout or a dropped connection: 结果未知, never retried


@dataclass
class Transport:
    """What one run's sends share: the password, the sender, ONE connection logged in once (a good run logs
    in once, not once per message), and why the rest of the run cannot send (the server unreachable, the
    login refused, the certificate untrusted, a message whose result is unknown): those are not tried."""

    settings: Settings
    password: str | None
    sender: str
    down_reason: str = ""
    connection: object = None  # the yagmail.SMTP, open between messages
    logins: int = 0
    tried: set = field(default_factory=set)  # message ids sent (or tried) by this run: once per run each

    def problem(self) -> str:
        """Why nothing can be sent, before trying (missing password or sender), or ''."""
        if not self.sender:
            return "发件人未设置: 请在 config.yaml 设置 email.sender"
        if self.settings.email.user and not self.password:
            return missing_password_reason(self.settings)
        return self.down_reason

    def send(self, recipients: list[str], data: bytes) -> Attempt:
        problem = self.problem()
        if problem:
            return Attempt(False, problem, 0)
        outcome = self.send_with_retries(recipients, data)
        if outcome.stops_batch:
            self.down_reason = f"本次运行未尝试 ({outcome.reason})"
        return outcome

    def open(self):
        """The run's connection: the open one when the server still answers, else a new one (a login)."""
        if self.connection is not None:
            try:
                if self.connection.smtp.noop()[0] == 250:
                    return self.connection
            except (OSError, AttributeError):
                pass
            self.close()
        self.connection = connect(self.settings, self.password, self.sender)
        self.logins += 1
        return self.connection

    def close(self) -> None:
        """Logs out (QUIT) and drops the connection; the run calls it when its mail step ends."""
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # already gone
                pass
            self.connection = None

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send_with_retries(self, recipients: list[str], data: bytes) -> Attempt:
        """Tries once plus ``email.retries`` times for a temporary failure before the message's DATA,
        waiting ``backoff_seconds × 2^k`` between tries; a refusal, a refused login or a 结果未知 is not retried."""
        e = self.settings.email
        tries = 0
        while True:
            tries += 1
            try:
                refused = send_bytes(self.open().smtp, self.sender, recipients, data)
            except Exception as exc:  # every transport failure becomes a reason, never a traceback
                reason = describe_error(exc, self.settings)
                log.warning("发送失败 (第 %d 次): %s", tries, reason)
                if not isinstance(exc, ResultUnknown) and not is_permanent(exc):
                    self.close()
                if isinstance(exc, ResultUnknown):
                    return Attempt(False, reason, tries, stops_batch=True, unknown=True)
                if is_permanent(exc) or tries > e.retries:
                    return Attempt(False, reason, tries, stops_batch=stops_batch(exc), refused=message_refused(exc))
                time.sleep(e.backoff_seconds * 2 ** (tries - 1))
                continue
            partial = refused_text(refused) if refused else ""
            return Attempt(True, f"部分送达, 被拒绝的收件人: {partial}" if partial else "", tries, partial=partial)


def open_transport(settings: Settings) -> Transport:
    return Transport(settings, find_password(settings) if settings.email.user else None, sender_address(settings))


def move_to_sent(path: Path) -> Path:
    """outbox/<date>/x.eml → outbox/<date>/已发送/x.eml; stays put if it cannot be moved (open in Outlook)."""
    target = path.parent / SENT_SUBFOLDER / path.name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        return target
    except OSError as exc:
        log.warning("无法移动已发送邮件 %s: %s", path, exc)
        return path


def result_row(*, run_date: date, report: str, rep: str | None, recipients: list[str], subject: str,
               attachments: list[str], status: str, file: Path | str = "", reason: str = "") -> dict:
    return {"date": run_date.isoformat(), "report": report, "rep": rep or "", "recipients": list(recipients),
            "subject": subject, "attachments": list(attachments), "status": status,
            "time": datetime.now().isoformat(timespec="seconds"), "file": str(file), "reason": reason}


def send_recorded(state: RunState, transport: Transport, message_id: int, file: Path,
                  recipients: list[str]) -> tuple[str, Path, str]:
    """Sends a message already in the outbox and recorded; returns (status, file, reason) after marking it:
    sent, partial (部分送达), failed (the next run tries again) or given_up (the server refused it in
    ``email.max_attempts`` runs)."""
    state.mark(message_id, "sending")
    transport.tried.add(message_id)
    outcome = transport.send(recipients, file.read_bytes())
    if outcome.unknown:
        reason = f"{outcome.reason}; 请向收件人确认, 没收到时用 Outlook 打开 {file} 发送 (或 --resend)"
        state.mark(message_id, UNKNOWN, reason=reason, attempts=outcome.attempts, interrupted_at=datetime.now())
        return UNKNOWN, file, reason
    if outcome.ok:
        file = move_to_sent(file)
        status = PARTIAL if outcome.partial else SENT
        state.mark(message_id, status, reason=outcome.reason, file=file, attempts=outcome.attempts)
        return status, file, outcome.reason
    status, reason = FAILED, outcome.reason
    if outcome.refused:
        runs = state.get(message_id).runs + 1
        if runs >= transport.settings.email.max_attempts:
            status, reason = GIVEN_UP, f"已放弃 (服务器在 {runs} 次运行中都拒绝了这封邮件): {outcome.reason}"
    state.mark(message_id, status, reason=reason, attempts=outcome.attempts, refused_run=outcome.refused)
    return status, file, reason


# ---------------------------------------------------------------------------- the public steps

def start_sending(settings: Settings, no_email: bool = False) -> Transport | None:
    """The run's one transport (shared by ``send_pending`` and ``deliver``: one login attempt per run), or
    None when messages only go to the outbox (e-mail off, or ``--no-email``)."""
    return open_transport(settings) if email_configured(settings) and not no_email else None


def deliver(settings: Settings, run_date: date, deliveries: list[Delivery], staff: pd.DataFrame | None, *,
            no_email: bool = False, resend: bool = False, transport: Transport | None = None,
            per_recipient: bool = False) -> list[dict]:
    """Mails (or puts in the outbox) the day's deliveries; one result dict per message (or skipped delivery).

    Result keys: date, report, rep, recipients, subject, attachments (names), status (sent / partial /
    outbox / failed / given_up / skipped), time, file (.eml), reason. ``transport``: the run's, from
    ``start_sending`` (else one is opened here). ``per_recipient``: one message per person (a missed day
    caught up, ``group_deliveries``).
    """
    if transport is None and not no_email:
        own = start_sending(settings)
        if own is not None:
            with own:  # opened here: closed here
                return deliver(settings, run_date, deliveries, staff, resend=resend, transport=own,
                               per_recipient=per_recipient)
    state = RunState(settings.workspace)
    transport = None if no_email else transport
    groups, unrouted = group_deliveries(settings, deliveries, staff, per_recipient)
    results = [result_row(run_date=run_date, report=d.report, rep=d.rep, recipients=[], subject=d.title,
                          attachments=[Path(a).name for a in d.attachments], status=SKIPPED, reason=reason)
               for d, reason in unrouted]
    for group in groups:
        if not resend or group.audience.customer is not None:  # a customer's notice: never twice, not even --resend
            group, already = drop_already_sent(state, run_date, group, transport.tried if transport else set())
            results += already
            if not group.deliveries:
                continue
        results.append(deliver_group(settings, state, transport, run_date, group))
    for r in results:
        log.info("邮件 %s: %s → %s %s", r["status"], r["subject"], ", ".join(r["recipients"]), r["reason"])
    return results


def plan(settings: Settings, run_date: date, deliveries: list[Delivery], staff: pd.DataFrame | None,
         per_recipient: bool = False) -> None:
    """The messages the run is about to compose, one per audience (``group_deliveries``), kept on the running
    run's row (``RunState.plan_mail``) before the first is composed: a run killed on the way leaves in the
    state what it never got to, and ``status`` lists those until a later run composes them."""
    groups, _ = group_deliveries(settings, deliveries, staff, per_recipient)
    RunState(settings.workspace).plan_mail(run_date, [
        {"audience": g.audience.key, "items": sorted(item_key(d) for d in g.deliveries),
         "recipients": g.audience.recipients, "titles": [d.title for d in g.deliveries]} for g in groups])


def drop_already_sent(state: RunState, run_date: date, group: Group, tried: set = frozenset()
                      ) -> tuple[Group, list[dict]]:
    """The group without what an earlier run settled for every one of its recipients, however it was grouped
    then (one message per person for a caught-up day): sent (partly or wholly), 结果未知 or given up; for a
    customer's notice, anything an earlier run of any date made of it (``RunState.items_ever``: in the outbox,
    failed and waiting for ``send_pending``, sent …): a customer is told once. Also without what this run
    already tried (``tried``: its pending step sent or failed it): once per run, counted once, said once."""
    audience = group.audience.key
    settled = state.items_ever(audience) if group.audience.customer is not None else \
        state.settled_for(run_date, audience, group.audience.recipients)
    this_run = {item for m in state.messages(run_date) if m.id in tried and m.audience == audience
                for item in m.items} if tried else set()

    def reason(d: Delivery) -> str:
        return f"{TRIED_THIS_RUN} (见上)" if item_key(d) in this_run else settled_reason(settled[item_key(d)])

    done = [d for d in group.deliveries if item_key(d) in settled or item_key(d) in this_run]
    keep = [d for d in group.deliveries if d not in done]
    skipped = [result_row(run_date=run_date, report=d.report, rep=d.rep, recipients=group.audience.recipients,
                          subject=d.title, attachments=[Path(a).name for a in d.attachments], status=SKIPPED,
                          reason=reason(d))
               for d in done]
    return Group(group.audience, keep), skipped


TRIED_THIS_RUN = "本次运行已尝试"


def settled_reason(message: MessageRow) -> str:
    if message.audience.startswith("customer:") and message.status not in (SENT, PARTIAL):
        return f"已于 {message.run_date} 生成 ({message.status}: {message.file}); 客户通知只发一次"
    if message.status == GIVEN_UP:
        return f"已放弃 ({message.updated:%Y-%m-%d %H:%M}; --resend 可再试)"
    if message.status == UNKNOWN:
        return (f"发送结果未知 ({message.interrupted_at or message.updated:%Y-%m-%d %H:%M} 发送时中断, 未重发以免重复; "
                f"请向收件人确认, 需要时 --resend 或用 Outlook 打开 {message.file})")
    return f"已发送 ({message.sent_at:%Y-%m-%d %H:%M})" + ("; 部分送达" if message.status == PARTIAL else "")


def deliver_group(settings: Settings, state: RunState, transport: Transport | None, run_date: date,
                  group: Group) -> dict:
    """Composes one message, writes its .eml, records it, and sends it when a transport is given."""
    audience = group.audience
    names = [p.name for p in attachment_files(group.deliveries)]
    common = dict(run_date=run_date, report=group.reports, rep=audience.rep, recipients=audience.recipients,
                  attachments=names)
    try:
        msg = compose(settings, run_date, group.deliveries, audience.to, audience.cc, rep=audience.rep,
                      customer=audience.customer)
    except FileNotFoundError as exc:
        return result_row(**common, subject=" + ".join(d.title for d in group.deliveries), status=FAILED,
                          reason=str(exc))
    subject = one_line(render_subject(msg))
    written = write_file(eml_path(settings, run_date, group), message_bytes(msg))
    if written.note:  # the earlier .eml is open in Outlook: this one is beside it
        log.warning("%s", written.note)
    file = written.path
    held = demo_hold(settings, audience.recipients)
    transport = None if held else transport
    message_id = state.record(run_date=run_date, items=[item_key(d) for d in group.deliveries], audience=audience.key,
                              reports=group.reports, subject=subject, sender=sender_address(settings),
                              recipients=audience.recipients, attachments=names, file=file,
                              status="sending" if transport else OUTBOX)
    if transport is None:
        return result_row(**common, subject=subject, status=OUTBOX, file=file,
                          reason=held or "未配置邮件服务器或 --no-email: 已写入待发箱")
    status, file, reason = send_recorded(state, transport, message_id, file, audience.recipients)
    return result_row(**common, subject=subject, status=status, file=file, reason=reason)


def render_subject(msg: EmailMessage) -> str:
    """The subject as text (a compat32 ``Header`` prints as its Unicode value)."""
    return str(msg["Subject"])


def send_pending(settings: Settings, staff: pd.DataFrame | None = None, *,
                 transport: Transport | None = None) -> list[dict]:
    """Sends what earlier runs left ``failed``, oldest first; first marks what a killed run left ``sending``
    as ``unknown`` (结果未知: listed, not sent again; see the module docstring). Call it holding the
    workspace's run lock (no other run is sending).

    The recipients are those resolved when the message was composed (kept in the state), so ``staff`` is
    not needed to route them; it is accepted so the pipeline calls both steps alike. Does nothing when
    e-mail is off. ``transport``: the run's, from ``start_sending`` (else one is opened here).
    """
    if transport is None:
        own = start_sending(settings)
        if own is None:
            return []
        with own:  # opened here: closed here
            return send_pending(settings, staff, transport=own)
    state = RunState(settings.workspace)
    results = [settle_interrupted(state, row) for row in state.interrupted()]
    for row in state.pending():
        results.append(send_pending_row(state, transport, row))
    return results


def settle_interrupted(state: RunState, row: MessageRow) -> dict:
    """A message whose send a killed run interrupted: ``unknown``, with a reason the clerk can act on."""
    reason = (f"上次运行在发送时中断 ({row.updated:%Y-%m-%d %H:%M}), 服务器可能已收到: 未重发以免重复; "
              f"请向收件人确认, 没收到时用 Outlook 打开 {row.file} 发送 (或 --resend)")
    state.mark(row.id, UNKNOWN, reason=reason, interrupted_at=row.updated)  # marked sending then: the interruption
    log.warning("邮件发送结果未知: %s → %s: %s", row.subject, ", ".join(row.recipients), reason)
    return result_row(run_date=row.run_date, report=row.reports, rep=pending_rep(row), recipients=list(row.recipients),
                      subject=row.subject, attachments=list(row.attachments), status=UNKNOWN, file=row.file,
                      reason=reason)


def pending_rep(row: MessageRow) -> str | None:
    return row.audience.removeprefix("rep:") if row.audience.startswith("rep:") else None


def retry_pending(settings: Settings) -> list[dict]:
    """The retry every 10 minutes after the day's run (``serve``, the retry task): ``send_pending`` and the
    clerk's notice of it (``admin_notice``), unless the last attempt was a refused login (a person must fix
    the password; trying it again every 10 minutes locks the mailbox)."""
    if any("登录被拒绝" in row.reason for row in RunState(settings.workspace).pending()):
        log.warning("上次登录被拒绝: 不自动重试, 请检查 email.user 和密码后运行 run_daily.py")
        return []
    transport = start_sending(settings)
    if transport is None:
        return []
    with transport:  # closed when the retry is done
        results = send_pending(settings, transport=transport)
        notice = admin_notice(date.today(), [], results) if results and settings.email.admin else None
        if notice is not None:  # what went out now (or failed again): the clerk is told, once a day of each
            results += deliver(settings, date.today(), [notice], None, transport=transport)
    return results


def send_pending_row(state: RunState, transport: Transport, row: MessageRow) -> dict:
    common = dict(run_date=row.run_date, report=row.reports, rep=pending_rep(row),
                  recipients=list(row.recipients), subject=row.subject, attachments=list(row.attachments))
    if not row.file.is_file():
        state.mark(row.id, "lost", reason=f"待发箱中的邮件文件已不存在: {row.file}")
        return result_row(**common, status=FAILED, file=row.file, reason=f"待发箱中的邮件文件已不存在: {row.file}")
    held = demo_hold(transport.settings, row.recipients)
    if held:
        state.mark(row.id, OUTBOX, reason=held)
        return result_row(**common, status=OUTBOX, file=row.file, reason=held)
    status, file, reason = send_recorded(state, transport, row.id, row.file, list(row.recipients))
    return result_row(**common, status=status, file=file, reason="补发: " + reason if status in (SENT, PARTIAL) else reason)


NOTICE_STATUSES = {PARTIAL: "部分送达", GIVEN_UP: "已放弃", FAILED: "发送失败 (截止时间前自动重发; 之后由下次运行重发)",
                   UNKNOWN: "发送结果未知 (服务器可能已收到, 不会自动重发; 请向收件人确认, 需要时 --resend)"}
RECOVERED_TITLE = "运行异常: 邮件已补发"


def admin_notice(run_date: date, failed_reports: list[str], results: list[dict], notes: Sequence[str] = ()
                 ) -> Delivery | None:
    """The message to the clerk (``email.admin``), once a day for what it says (its ``identity`` is its content:
    the reports failed, the messages with their state, the notes; ``content_identity``), so a new problem the
    same day gets a new notice and the same problem is never said twice:

    - 运行异常 when a report failed, a message failed, was refused (部分送达), given up or is 结果未知, or the
      run has something to say (``notes``: a damaged state file, a year the calendar does not know, a rep's
      workbook much smaller than before);
    - 运行异常: 邮件已补发 when messages that had failed went out later (the retry task, the next run).

    None when there is nothing to say. Sent like any message, so it waits in the outbox until SMTP works."""
    troubles = [r for r in results if r.get("status") in NOTICE_STATUSES and r.get("report") != ADMIN]
    recovered = [r for r in results if r.get("status") in (SENT, PARTIAL) and r.get("report") != ADMIN
                 and str(r.get("reason", "")).startswith("补发")]
    if failed_reports or troubles or notes:
        title, lines = "运行异常", [f"{run_date} 的运行需要您处理:", *notes]
        count = len(failed_reports) + len(troubles) + len(notes)
    elif recovered:
        title, lines, count = RECOVERED_TITLE, [f"{run_date}: 先前未能发送的邮件已发出:"], len(recovered)
    else:
        return None
    if failed_reports:
        lines.append(f"报表生成失败 (详见 logs/ 日志): {', '.join(failed_reports)}")
    lines += [f"{NOTICE_STATUSES[r['status']]}: {r['subject']} → {', '.join(r['recipients'])}: {r['reason']}"
              for r in troubles]
    lines += [f"已补发 {r['time'][:16].replace('T', ' ')}: {r['subject']} → {', '.join(r['recipients'])}" for r in recovered]
    said = [*(f"报表 {name}" for name in failed_reports), *notes,
            *(f"{r['status']} {r['subject']} → {','.join(sorted(r['recipients']))}" for r in troubles or recovered)]
    return Delivery(report=ADMIN, title=title, key_figure=f"{count} 项", summary_text="\n".join(lines),
                    summary_html="".join(f"<p style=\"margin:0 0 8px 0;\">{html.escape(line)}</p>" for line in lines),
                    identity=content_identity(said))


def content_identity(said: Sequence[str]) -> str:
    """A short digest of what a notice says, its lines in any order (what it says twice is one thing).

    >>> content_identity(["b", "a", "a"]) == content_identity(["a", "b"]), content_identity(["a"]) == content_identity(["b"])
    (True, False)
    """
    return hashlib.sha256("\n".join(sorted(set(said))).encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------------- chasing the reps

def reminder_delivery(settings: Settings, rep: str, reason: str, file_name: str) -> Delivery:
    """The short message asking a rep to update the workbook: by the real cut-off, which file, which folder."""
    cutoff = settings.schedule.cutoff
    text = (f"{rep}，您好：\n{reason}。\n"
            f"请在今天 {cutoff} 前更新台账 {file_name} 并保存到共享文件夹 {settings.folder('reps')}"
            f" ({cutoff} 之后录入的数据算作下一个工作日)。\n谢谢！\n{settings.company.contact}")
    lines = "".join(f"<p style=\"margin:0 0 8px 0;\">{html.escape(line)}</p>" for line in text.splitlines()[1:])
    return Delivery(report="reminder", title="请更新台账", rep=rep, summary_text=text,
                    summary_html=f"<div style=\"font-size:14px;color:#222222;\">{lines}</div>")


def reminders(settings: Settings, run_date: date, staff: pd.DataFrame | None,
              rep_files: dict[str, Path | None]) -> tuple[list[Delivery], list[tuple[str, str]]]:
    """Reminder deliveries for the reps whose workbook is missing or stale (``books.roster``), and
    (rep, reason) for the console.

    Only on working days: nobody is chased on a weekend or holiday.
    """
    if not is_workday(run_date, settings):
        return [], []
    chased = missing_or_stale(settings, run_date, staff, rep_files)
    return [reminder_delivery(settings, rep, reason, Path(rep_files.get(rep) or f"{rep}.xlsx").name)
            for rep, reason in chased], chased
