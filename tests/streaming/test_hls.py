"""Playlists: what ingest accepts, how playback rewrites them, what a replay publishes."""

from __future__ import annotations

import re

import pytest

from server.streaming.hls import PlaylistError, Rewriter, extension, parse_playlist, vod_playlist

FFMPEG_TS = b"""#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:7
#EXTINF:2.000000,
index7.ts
#EXTINF:1.960000,
index8.ts
#EXT-X-DISCONTINUITY
#EXTINF:2.040000,
index9.ts
"""

FFMPEG_FMP4 = b"""#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-MAP:URI="init.mp4"
#EXTINF:1.000000,
index0.m4s
#EXTINF:1.000000,
index1.m4s
#EXT-X-ENDLIST
"""


def test_reads_an_ffmpeg_ts_playlist() -> None:
    pl = parse_playlist(FFMPEG_TS)
    assert pl.target_duration == 2
    assert pl.media_sequence == 7
    assert [(e.uri, e.duration, e.media_seq, e.discontinuity) for e in pl.entries] == [
        ("index7.ts", 2.0, 7, False),
        ("index8.ts", 1.96, 8, False),
        ("index9.ts", 2.04, 9, True),
    ]
    assert not pl.ended


def test_reads_an_fmp4_playlist_with_its_init_section() -> None:
    pl = parse_playlist(FFMPEG_FMP4)
    assert pl.ended
    assert [e.map_uri for e in pl.entries] == ["init.mp4", "init.mp4"]
    assert pl.uris == {"init.mp4", "index0.m4s", "index1.m4s"}


@pytest.mark.parametrize(
    "body",
    [
        b"index0.ts\n",  # no #EXTM3U
        b"#EXTM3U\n#EXTINF:2,\nhttps://evil.example/x.ts\n",  # absolute URL
        b"#EXTM3U\n#EXTINF:2,\n../other/index0.ts\n",  # another directory
        b"#EXTM3U\n#EXTINF:2,\n/etc/passwd\n",
        b'#EXTM3U\n#EXT-X-MAP:URI="https://evil.example/init.mp4"\n',
        b'#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="key.bin"\n',  # not an allowed file name
        b"#EXTM3U\n#EXTINF:two,\nindex0.ts\n",
        b"#EXTM3U\n#EXT-X-TARGETDURATION:-1\n",
        b"\xff\xfe#EXTM3U\n",  # not UTF-8
        b"#EXTM3U\n#EXTINF:2,\nindex0.ts?x=1\n",  # a query would break the rewrite
    ],
)
def test_refuses_playlists_pointing_anywhere_else(body: bytes) -> None:
    with pytest.raises(PlaylistError):
        parse_playlist(body)


@pytest.mark.parametrize(
    ("name", "ext"),
    [
        ("index.m3u8", "m3u8"),
        ("index12.ts", "ts"),
        ("seg_1-a.m4s", "m4s"),
        ("init.mp4", "mp4"),
        ("../index.m3u8", None),
        ("a/b.ts", None),
        (".ts", None),
        ("index.m3u8.tmp", None),
        ("index.php", None),
        ("x" * 65 + ".ts", None),
        ("x" * 64 + ".ts", "ts"),
        ("inde%2e.ts", None),
        ("index\x00.ts", None),
        ("index.ts\n", None),
    ],
)
def test_file_names_are_an_allow_list(name: str, ext: str | None) -> None:
    assert extension(name) == ext


def test_rewrite_adds_the_parameter_to_every_uri_and_nothing_else() -> None:
    rewriter = Rewriter()
    out = rewriter.rewrite(FFMPEG_FMP4, "t", "abc.DEF_-1").decode()
    assert '#EXT-X-MAP:URI="init.mp4?t=abc.DEF_-1"' in out
    assert "\nindex0.m4s?t=abc.DEF_-1\n" in out
    assert "\nindex1.m4s?t=abc.DEF_-1\n" in out
    assert out.count("?t=") == 3
    # Taking the parameter out again gives back the playlist byte for byte.
    assert out.replace("?t=abc.DEF_-1", "").encode() == FFMPEG_FMP4


def test_rewrite_keeps_crlf_and_a_missing_final_newline() -> None:
    body = b"#EXTM3U\r\n#EXTINF:2.0,\r\nindex0.ts\r\n#EXTINF:2.0,\r\nindex1.ts"
    out = Rewriter().rewrite(body, "t", "X")
    assert out == b"#EXTM3U\r\n#EXTINF:2.0,\r\nindex0.ts?t=X\r\n#EXTINF:2.0,\r\nindex1.ts?t=X"


def test_each_viewer_gets_their_own_parameter_from_the_cached_split() -> None:
    rewriter = Rewriter()
    first = rewriter.rewrite(FFMPEG_TS, "t", "one").decode()
    second = rewriter.rewrite(FFMPEG_TS, "t", "two").decode()
    assert re.findall(r"\?t=(\w+)", first) == ["one"] * 3
    assert re.findall(r"\?t=(\w+)", second) == ["two"] * 3


def test_vod_playlist_is_final_and_marks_restarts_and_init_sections() -> None:
    text = vod_playlist(
        [
            ("000001.ts", 2.0, False, None),
            ("000002.ts", 2.4, False, None),
            ("000004.m4s", 1.0, True, "000003.mp4"),
        ]
    )
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in lines
    assert lines[-1] == "#EXT-X-ENDLIST"
    assert "#EXT-X-TARGETDURATION:3" in lines  # the longest segment, rounded up
    assert lines.count("#EXT-X-DISCONTINUITY") == 1
    disc = lines.index("#EXT-X-DISCONTINUITY")
    assert lines[disc + 1] == '#EXT-X-MAP:URI="000003.mp4"'
    assert lines[disc + 3] == "000004.m4s"
    # What we publish, we can read back.
    parsed = parse_playlist(text.encode())
    assert [e.uri for e in parsed.entries] == ["000001.ts", "000002.ts", "000004.m4s"]
    assert parsed.ended


def test_a_restart_before_the_first_segment_is_no_discontinuity() -> None:
    assert "#EXT-X-DISCONTINUITY" not in vod_playlist([("000001.ts", 2.0, True, None)])
