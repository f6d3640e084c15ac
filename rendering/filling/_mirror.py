"""The preamble of a right-to-left document on the Unicode path: the page laid out mirrored.

Debian's TeX Live has no ``bidi`` package (and polyglossia needs it for Arabic and Hebrew), so
this is XeTeX's own TeX--XeT and a few LaTeX hooks: what a résumé's and a letter's templates
use, checked on their pages (headings, entries with dates, bullets, links, colour boxes).
"""

from __future__ import annotations

# A right-to-left document: every paragraph right to left (its fill, \parfillskip, then ends the
# last line on the left), its raggedness moved to the left, \raggedleft and \raggedright
# swapped (flush with the end of a line: left, with no fill; with its start: right), lists
# indented from the right. XeTeX mirrors everything inside a paragraph,
# boxes and specials too: a colour is pushed where it ends and popped where it starts (so the
# page reads them the right way round), and \trLeftToRight keeps what must not be mirrored
# (links: their start and end marks; colour boxes: their background before their text);
# \trParens draws a template's brackets mirrored.
MIRRORED_DOCUMENT = r"""\makeatletter
\newif\iftrMirrored
\AddToHook{para/begin}{\beginR\trMirroredtrue}
\AddToHook{para/end}{\trMirroredfalse}
\newcommand\trLeftToRight[1]{\beginL{\trMirroredfalse#1}\endL}
% Brackets a template writes around a value, mirrored (the text the page gives is the same).
\newcommand\trParens[1]{\trRtlText{0028}{)}#1\trRtlText{0029}{(}}
\def\trPushColor#1{\begingroup\def\current@color{#1}\let\aftergroup\@gobble\trSetColor
  \endgroup}
\def\trSetColorMirrored{\reset@color
  \expandafter\xdef\csname trPush \current@color\endcsname{\noexpand\trPushColor{\current@color}}%
  \expandafter\aftergroup\csname trPush \current@color\endcsname}
% A list is indented from the right; its labels, set before a line's start, fall inside.
\def\trMirroredList#1#2{\trList{#1}{#2}%
  \parshape\@ne\dimexpr\hsize-\@totalleftmargin-\linewidth\relax\linewidth}
\AddToHook{begindocument/end}{\leftskip=\rightskip\rightskip=0pt\relax\@rightskip=0pt\relax
  \let\trRaggedLeft\raggedleft\let\trRaggedRight\raggedright
  \let\raggedright\trRaggedLeft\def\raggedleft{\trRaggedRight\parfillskip=0pt\relax}
  \let\trList\list\let\list\trMirroredList
  \let\trSetColor\set@color
  \def\set@color{\ifhmode\iftrMirrored\trSetColorMirrored\else\trSetColor\fi\else\trSetColor\fi}}
\makeatother"""
