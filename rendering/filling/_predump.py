"""Work the fast path's format does once, before it is dumped, instead of in every render.

A render from a template's format still ran, at ``\\begin{document}`` and at each face's first
use, set-up that depends on nothing in the data: microtype's set-up (reading its
configuration) and its set-up of each font (protrusion and expansion factors, read from
configuration lists by macros: about a millisecond a face), LaTeX's sorting of every hook, the
reading of the l3 backend file and of the graphics driver's MetaPost support (supp-pdf). This
preamble part, the last of the fixed preamble (the template names its faces:
``\\trPredump{T1/lmr/m/n/10.95,...}``), does all of that before the dump: a classic render
costs about 40 % fewer instructions (``python -m tools.render_cost`` measures the CPU).

pdfTeX dumps fonts in a format, but not their ``\\lpcode``, ``\\rpcode``, ``\\efcode`` or
``\\pdffontexpand`` (they live outside TeX's memory). So each font microtype has set up by the
dump keeps its resulting codes as a macro of primitive assignments, which a render replays
when it first selects the font (microtype's own set-up runs for any other face, as before).
The typeset pages are the same as without this part (``tests/rendering/filling/
test_predump.py`` compares them). Compiled without a format (mylatexformat absent), the set-up
simply runs in the preamble and nothing is replayed.
"""

from __future__ import annotations

BEGIN_MARK = "% texrender pre-dump: begin"
END_MARK = "% texrender pre-dump: end"

_TEX = r"""\makeatletter
% microtype's \pdffontexpand arguments for each font it expands, kept for its snapshot.
\let\trPD@expandfont\MT@expandfont
\def\MT@expandfont{\trPD@expandfont
  \expandafter\xdef\csname trPDx@\expandafter\string\MT@font\endcsname{%
    \number\MT@stretch@\space\number\MT@shrink@\space\number\MT@step@\space\MT@auto@}}
% #1 (a font): what microtype set, as assignments to replay (\escapechar -1 as in its hook).
\def\trPD@snapshot#1{%
  \begingroup\escapechar\m@ne
  \expandafter\ifx\csname trPDx@\string#1\endcsname\relax
    \let\trPD@codes\@empty
  \else
    \edef\trPD@codes{\pdffontexpand#1 \csname trPDx@\string#1\endcsname\relax}%
  \fi
  \count@\z@
  \loop
    \ifnum\lpcode#1\count@=\z@\else
      \edef\trPD@codes{\trPD@codes\lpcode#1\the\count@=\the\lpcode#1\count@\relax}\fi
    \ifnum\rpcode#1\count@=\z@\else
      \edef\trPD@codes{\trPD@codes\rpcode#1\the\count@=\the\rpcode#1\count@\relax}\fi
    \ifnum\efcode#1\count@=\@m\else
      \edef\trPD@codes{\trPD@codes\efcode#1\the\count@=\the\efcode#1\count@\relax}\fi
    \advance\count@\@ne
  \ifnum\count@<\@cclvi\repeat
  \expandafter\xdef\csname trPD@\string#1\endcsname{\trPD@codes}%
  \endgroup}
% In a render: a font with a snapshot replays it once; any other goes through microtype.
\let\trPD@setupfont\MT@setupfont
\def\trPD@replay{%
  \expandafter\ifx\csname trPD@\expandafter\string\MT@font\endcsname\relax
    \expandafter\trPD@setupfont
  \else
    \csname trPD@\expandafter\string\MT@font\endcsname
    \global\expandafter\let\csname trPD@\expandafter\string\MT@font\endcsname\@empty
  \fi}
% Series and shape as given (\fontshape{sc} after an italic would ask for scit). A face of
% an encoding the preamble did not load (T2A, LGR on a machine without their fonts) is skipped.
\def\trPD@select#1/#2/#3/#4/#5\@nil{\@ifundefined{T@#1}{}{{%
  \fontencoding{#1}\fontfamily{#2}\def\f@series{#3}\def\f@shape{#4}\fontsize{#5}{#5}%
  \selectfont}}}
% #1: the faces the template uses, encoding/family/series/shape/size, comma-separated. Each
% step only where its package (or kernel) has it; outside any conditional, as they read files.
\def\trPredump#1{%
  \@ifundefined{MT@setup@}{}{\MT@setup@\MT@glet\MT@setup@\@empty}%
  \@for\trPD@face:=#1\do{\expandafter\trPD@select\trPD@face\@nil}%
  \@expl@sys@load@backend@@
  % The graphics driver's MetaPost support (supp-pdf), read at the document's start otherwise.
  \@ifundefined{GPT@LoadSuppPdf}{}{\GPT@LoadSuppPdf}%
  \@ifundefined{@expl@@@initialize@all@@}{}%
    {\@expl@@@initialize@all@@\global\let\@expl@@@initialize@all@@\relax}%
  % mylatexformat loads more faces just before the dump: snapshots after that.
  \ifdefined\MYLATEX@fontpreloading\ifdefined\MT@font@list
    \g@addto@macro\MYLATEX@fontpreloading{%
      \@for\trPD@font:=\MT@font@list\do{%
        \ifx\trPD@font\@empty\else\expandafter\trPD@snapshot\trPD@font\fi}%
      \global\let\MT@setupfont\trPD@replay}%
  \fi\fi}
\makeatother"""


def predump_tex() -> str:
    """The preamble lines that define ``\\trPredump``: on the pdfLaTeX path only, after every
    package (microtype's set-up must see them all) and every hook the preamble adds."""
    return f"{BEGIN_MARK}\n{_TEX}\n{END_MARK}\n"
