"""The exact bytes of Bulk API CSV results, pinned as the simulator wrote them before results were
formatted with Arrow: every value quoted, nulls as `""`, Java's double text, `Z` datetimes.

The expected texts and digests were produced by the cell-by-cell formatter this module replaced,
so any change in a single byte (a quote, a digit of a double, a line ending) fails here.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from crm_pipelines.sim.csv_results import DELIMITERS, LINE_ENDINGS, csv_bytes, java_double_text
from crm_pipelines.sim.generate import generate_org
from crm_pipelines.sim.object_table import column_dtype
from crm_pipelines.sim.schema import FieldSpec, SObjectSchema, sobject

EVERY_TYPE = SObjectSchema("Widget__c", "a00", "Widget", "Widgets", (
    FieldSpec("Id", "id", "Widget ID"),
    FieldSpec("Name", "string", "Name"),
    FieldSpec("Notes__c", "textarea", "Notes"),
    FieldSpec("Email__c", "email", "Email"),
    FieldSpec("Phone__c", "phone", "Phone"),
    FieldSpec("Site__c", "url", "Site"),
    FieldSpec("Stage__c", "picklist", "Stage"),
    FieldSpec("OwnerId", "reference", "Owner"),
    FieldSpec("Value__c", "anyType", "Value"),
    FieldSpec("Active__c", "boolean", "Active"),
    FieldSpec("Score__c", "double", "Score"),
    FieldSpec("Amount__c", "currency", "Amount"),
    FieldSpec("Share__c", "percent", "Share"),
    FieldSpec("Seats__c", "int", "Seats"),
    FieldSpec("Due__c", "date", "Due"),
    FieldSpec("SystemModstamp", "datetime", "System Modstamp"),
))
DOUBLES = [0.0, -0.0, 1.5, 5366000.0, 12345678.0, 1e-4, 0.001, 9999999.99, 1e7, -2.5e-10,
           123456789012345678.0, np.nan, 1e300, 5e-324, -0.0009999, 1 / 3, 100.0, 2.0 ** 70]
TEXTS = ['plain', 'say "hi"', 'a,b', 'line\nbreak', 'crlf\r\nend', 'tab\there', 'pipe|semi;caret^tick`',
         'caf\u00e9 \u65e5\u672c \U0001F600', None, '', '""', ' padded ', 'x' * 40, '\u00a0nbsp', 'ok',
         'last', '\\back\\slash', '=1+2']
INTS = [0, -3, 42, 1e9, np.nan, 7, 2147483647, -1, 1, 2, 3, 4, 5, 6, np.nan, 8, 9, 10]
DATES = ["2024-03-01", None, "1970-01-01", "2099-12-31", "2024-02-29", "2000-01-01", None, "1999-12-31",
         "2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05", "2024-03-06",
         "2024-03-07", "2024-03-08", "2024-03-09", "1900-01-01"]
STAMPS = ["2024-03-01T12:00:00.123Z", None, "1999-12-31T23:59:59.999999Z", "2024-03-01T00:00:00Z",
          "1970-01-01T00:00:00.001Z", "2026-06-01T12:00:00Z", "2024-02-29T23:59:59.5Z", None,
          "2024-03-01T12:00:00.000456Z", "2030-01-01T01:02:03.004Z", "2024-03-01T12:00:00Z",
          "2024-03-01T12:00:01Z", "2024-03-01T12:00:02Z", "2024-03-01T12:00:03Z",
          "2024-03-01T12:00:04Z", "2024-03-01T12:00:05Z", "2024-03-01T12:00:06Z", "2001-09-09T01:46:40Z"]


def _every_type_frame() -> pd.DataFrame:
    rows = len(DOUBLES)
    columns = {}
    for spec in EVERY_TYPE.fields:
        if spec.sf_type == "boolean":
            values = [i % 3 == 0 for i in range(rows)]
        elif spec.sf_type == "int":
            values = INTS
        elif spec.sf_type in ("double", "currency", "percent"):
            values = DOUBLES
        elif spec.sf_type == "date":
            values = pd.to_datetime(DATES)
        elif spec.sf_type == "datetime":
            values = pd.to_datetime(STAMPS, utc=True, format="ISO8601")
        elif spec.sf_type == "id":
            values = [f"a00000000000{i:03d}AAA" for i in range(rows)]
        else:
            values = TEXTS[rows - 1 - len(spec.name) % rows:] + TEXTS[:rows - 1 - len(spec.name) % rows]
        columns[spec.name] = pd.Series(values, dtype=column_dtype(spec))
    return pd.DataFrame(columns)



ORG_FORMATS = [("COMMA", "LF"), ("TAB", "CRLF"), ("PIPE", "CRLF"), ("SEMICOLON", "LF")]


@pytest.fixture(scope="module")
def tiny_org() -> dict[str, pd.DataFrame]:
    return generate_org("acme", "tiny", seed=1).tables


def _org_page(tables: dict[str, pd.DataFrame], name: str, page: str, delimiter: str,
              line_ending: str) -> bytes:
    """One page of an org table: every row in order, every other row backwards, or none."""
    frame = tables[name]
    schema = sobject(name)
    fields = schema.field_names()
    if page == "all":
        positions = np.arange(len(frame))
    elif page == "every_other_backwards":
        positions = np.arange(len(frame))[::-2].copy()
        # Fields in a query's order, not the table's, one of them twice.
        fields = [fields[-1], *fields[1::2], fields[0], fields[1]]
    else:
        positions = np.arange(0)
    return csv_bytes(schema, frame, positions, fields, delimiter=DELIMITERS[delimiter],
                     line_ending=LINE_ENDINGS[line_ending])


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _every_type_csv(delimiter: str, line_ending: str) -> bytes:
    frame = _every_type_frame()
    return csv_bytes(EVERY_TYPE, frame, np.arange(len(frame)), EVERY_TYPE.field_names(),
                     delimiter=delimiter, line_ending=line_ending)


# Generated by the cell-by-cell formatter (see the module docstring).
EVERY_TYPE_CSV = (
    '"Id","Name","Notes__c","Email__c","Phone__c","Site__c","Stage__c","OwnerId","Value__c","Active__c","Score__c","Amount__c","Share__c","Seats__c","Due__c","SystemModstamp"\n'
    '"a00000000000000AAA","\xa0nbsp","","","","""""","","""""","","true","0.0","0.0","0.0","0","2024-03-01","2024-03-01T12:00:00.123Z"\n'
    '"a00000000000001AAA","ok","""""","""""",""""""," padded ",""""""," padded ","""""","false","0.0","0.0","0.0","-3","",""\n'
    '"a00000000000002AAA","last"," padded "," padded "," padded ","xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"," padded ","xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"," padded ","false","1.5","1.5","1.5","42","1970-01-01","1999-12-31T23:59:59.999Z"\n'
    '"a00000000000003AAA","\\back\\slash","xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","\xa0nbsp","xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","\xa0nbsp","xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","true","5366000.0","5366000.0","5366000.0","1000000000","2099-12-31","2024-03-01T00:00:00.000Z"\n'
    '"a00000000000004AAA","=1+2","\xa0nbsp","\xa0nbsp","\xa0nbsp","ok","\xa0nbsp","ok","\xa0nbsp","false","1.2345678E7","1.2345678E7","1.2345678E7","","2024-02-29","1970-01-01T00:00:00.001Z"\n'
    '"a00000000000005AAA","plain","ok","ok","ok","last","ok","last","ok","false","1.0E-4","1.0E-4","1.0E-4","7","2000-01-01","2026-06-01T12:00:00.000Z"\n'
    '"a00000000000006AAA","say ""hi""","last","last","last","\\back\\slash","last","\\back\\slash","last","true","0.001","0.001","0.001","2147483647","","2024-02-29T23:59:59.500Z"\n'
    '"a00000000000007AAA","a,b","\\back\\slash","\\back\\slash","\\back\\slash","=1+2","\\back\\slash","=1+2","\\back\\slash","false","9999999.99","9999999.99","9999999.99","-1","1999-12-31",""\n'
    '"a00000000000008AAA","line\n'
    'break","=1+2","=1+2","=1+2","plain","=1+2","plain","=1+2","false","1.0E7","1.0E7","1.0E7","1","2024-03-01","2024-03-01T12:00:00.000Z"\n'
    '"a00000000000009AAA","crlf\r\n'
    'end","plain","plain","plain","say ""hi""","plain","say ""hi""","plain","true","-2.5E-10","-2.5E-10","-2.5E-10","2","2024-03-02","2030-01-01T01:02:03.004Z"\n'
    '"a00000000000010AAA","tab\there","say ""hi""","say ""hi""","say ""hi""","a,b","say ""hi""","a,b","say ""hi""","false","1.2345678901234568E17","1.2345678901234568E17","1.2345678901234568E17","3","2024-03-03","2024-03-01T12:00:00.000Z"\n'
    '"a00000000000011AAA","pipe|semi;caret^tick`","a,b","a,b","a,b","line\n'
    'break","a,b","line\n'
    'break","a,b","false","","","","4","2024-03-04","2024-03-01T12:00:01.000Z"\n'
    '"a00000000000012AAA","café 日本 😀","line\n'
    'break","line\n'
    'break","line\n'
    'break","crlf\r\n'
    'end","line\n'
    'break","crlf\r\n'
    'end","line\n'
    'break","true","1.0E300","1.0E300","1.0E300","5","2024-03-05","2024-03-01T12:00:02.000Z"\n'
    '"a00000000000013AAA","","crlf\r\n'
    'end","crlf\r\n'
    'end","crlf\r\n'
    'end","tab\there","crlf\r\n'
    'end","tab\there","crlf\r\n'
    'end","false","5.0E-324","5.0E-324","5.0E-324","6","2024-03-06","2024-03-01T12:00:03.000Z"\n'
    '"a00000000000014AAA","","tab\there","tab\there","tab\there","pipe|semi;caret^tick`","tab\there","pipe|semi;caret^tick`","tab\there","false","-9.999E-4","-9.999E-4","-9.999E-4","","2024-03-07","2024-03-01T12:00:04.000Z"\n'
    '"a00000000000015AAA","""""","pipe|semi;caret^tick`","pipe|semi;caret^tick`","pipe|semi;caret^tick`","café 日本 😀","pipe|semi;caret^tick`","café 日本 😀","pipe|semi;caret^tick`","true","0.3333333333333333","0.3333333333333333","0.3333333333333333","8","2024-03-08","2024-03-01T12:00:05.000Z"\n'
    '"a00000000000016AAA"," padded ","café 日本 😀","café 日本 😀","café 日本 😀","","café 日本 😀","","café 日本 😀","false","100.0","100.0","100.0","9","2024-03-09","2024-03-01T12:00:06.000Z"\n'
    '"a00000000000017AAA","xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","","","","","","","","false","1.1805916207174113E21","1.1805916207174113E21","1.1805916207174113E21","10","1900-01-01","2001-09-09T01:46:40.000Z"\n'
).encode()
PINNED_EVERY_TYPE = {
    ('COMMA', 'LF'): '72345a2a5e3cd989569db9e40425dfd21d87f4efe2ed2bc6e2fb44b930ae4662',
    ('COMMA', 'CRLF'): '2f13f267c4c8860eae8b131f60fe1cdd081dd95a5cc4a1c4f341fcf43313283e',
    ('BACKQUOTE', 'LF'): 'ee654369189d84181b25abdbb6f4beb4e54473490e0c1b758c89dcb59c36f83b',
    ('BACKQUOTE', 'CRLF'): '7a61755d470b4e16324b27f9775b39e7e32f1711719d2f3b3e5f78d9d2b5f309',
    ('CARET', 'LF'): '22dab22686704b088bd7ceb7a59c82002eeac5f42969d2b90525b359b1eb941a',
    ('CARET', 'CRLF'): '58908a02950617d177a1ba6a2991a196e3c460a763732ed844ab3757a92556cf',
    ('PIPE', 'LF'): 'ce8ba8ec0cacc6cfedaa59c36e27cbebf951121090775b99badc5b3f1c6eb08b',
    ('PIPE', 'CRLF'): '24859aff0894f5a17afd9d8a1b0ab0d05bd7cc124d24f223d42d17703a03976b',
    ('SEMICOLON', 'LF'): '92eab0ab2f1415f6980d92246a7e423ca90da1bd0bf31c8ff8f23221c3b255dc',
    ('SEMICOLON', 'CRLF'): 'db09505f221454f606edc2306586652aee965d3907f4c966d478c91efc55ef3b',
    ('TAB', 'LF'): 'ddad91196e121070859d76ea1a5afdd7f2233265961332ad8651d4e5b25b835d',
    ('TAB', 'CRLF'): 'e21023023a61fea153ad8de5bf1f1e72eb6a0b4e6a6597c208890b37f95a0e20',
}
PINNED_ORG_PAGES = {
    ('User', 'all', 'COMMA', 'LF'):
        '479d49e65ee46769ab071e480e51d0c889f10b169f829de233c6f13d33eb1b9f',
    ('User', 'all', 'TAB', 'CRLF'):
        'bcf70d8e7058a5a7da5b90597883d7919954cd7450d894e749e3f2e94d909655',
    ('User', 'all', 'PIPE', 'CRLF'):
        '524fafd3951d412ebc65f4b88350895eb663ab4e1f336a00b11ddf8831078304',
    ('User', 'all', 'SEMICOLON', 'LF'):
        '8391173b1302248134ac04529c19d3577d8c6aadf96785f4d819c26893b42c8d',
    ('User', 'every_other_backwards', 'COMMA', 'LF'):
        '8527468f4b0ca87c919245eba9d777ad28f7fa6969de3cab31c62f60e1afb2d7',
    ('User', 'every_other_backwards', 'TAB', 'CRLF'):
        'd39fcf85124952dbc6a5c45ac838e98178b792d28496146ae87b0bf1c74d2485',
    ('User', 'every_other_backwards', 'PIPE', 'CRLF'):
        'ee5eed37428c349ad602365ca72f9838db522e67308672d48a3732eb45be9522',
    ('User', 'every_other_backwards', 'SEMICOLON', 'LF'):
        'b1013901e91ef920be5b77f43f48061509b38c0a2d6d7f33b5e1685f2dcf64da',
    ('User', 'none', 'COMMA', 'LF'):
        'd57db7b400c5f4e31d6ef657fcd3da838ae662eb83242787efbcc0632c1816ad',
    ('User', 'none', 'TAB', 'CRLF'):
        'ea12ba711e5a097fa23d52ef56da8cb7ae9cf8922a27f99ec334f9822ece77a5',
    ('User', 'none', 'PIPE', 'CRLF'):
        '2ad9d0008b488f18bbcf2982fe361332373ac36e0d1387af4671f25efc689697',
    ('User', 'none', 'SEMICOLON', 'LF'):
        'b2c810569f70c980f64f97467ccee0b5bafeab14c7364bc9f185104a584829b3',
    ('Account', 'all', 'COMMA', 'LF'):
        '7931985a6b717fa6a2571459d2c92d9267f9aa8f51ef5a4db1b39139819f2b01',
    ('Account', 'all', 'TAB', 'CRLF'):
        'f5ef24506add04a65a2e5c9da73e7f2219f56c36188ae8bf00936df13b0d80bc',
    ('Account', 'all', 'PIPE', 'CRLF'):
        '954ed6cf13e247f0cd8d56ab21fe84ec356161483e9abbf5aaca5f996f7f3540',
    ('Account', 'all', 'SEMICOLON', 'LF'):
        '3d6fd4ac24de20412d3caa5b109809ba67e1e12a4149aca920a587b059524f76',
    ('Account', 'every_other_backwards', 'COMMA', 'LF'):
        '5d00bca84312092d41006394d06dcd921586af55d083adaaab75b0f15708486f',
    ('Account', 'every_other_backwards', 'TAB', 'CRLF'):
        '07ddb26203e5e2381e3b69e380eab44db24c8e3096a0df9a101bc7a414f85cbe',
    ('Account', 'every_other_backwards', 'PIPE', 'CRLF'):
        '651b7cf4018c407e35b33ab884a510494a9a99e56618f61eb24952adc7a1da08',
    ('Account', 'every_other_backwards', 'SEMICOLON', 'LF'):
        'dae24bf75bc08063082259b4f53f055769fc079d1448a911be1623d6a11ea224',
    ('Account', 'none', 'COMMA', 'LF'):
        '73aa299020ec1208eb8c86757735e6f581628cc75d5a59597e49595afdf103ca',
    ('Account', 'none', 'TAB', 'CRLF'):
        'b157689cb580a92d4659addf74c49b9e08b449e2c1bd972b5a42e47d842dc6dc',
    ('Account', 'none', 'PIPE', 'CRLF'):
        '62754074331b8b7ad6a8c12360eb0299dd06b6018336b03674c13bcfa7264d31',
    ('Account', 'none', 'SEMICOLON', 'LF'):
        'e8496d577008991b4355c743420258847dc282c93978a6bbcc45eb558c650af0',
    ('AccountTeamMember', 'all', 'COMMA', 'LF'):
        '732b4ed137651ea1652e3690a38bb997e15d85919cab5200ab634baab5a51de8',
    ('AccountTeamMember', 'all', 'TAB', 'CRLF'):
        'bae3cbff4ab6f624c28cb546cddb36663cf78a41e57de717950c53cc374f84bd',
    ('AccountTeamMember', 'all', 'PIPE', 'CRLF'):
        'fb3881000e8d5ab4d53b0f35f0e3e1d6c81072230cf36da53fa5129061239202',
    ('AccountTeamMember', 'all', 'SEMICOLON', 'LF'):
        'e300f50d3aaa9abd8a3a7cb6688dc7e83d7b9c008dcf6fe149e41f70f309d039',
    ('AccountTeamMember', 'every_other_backwards', 'COMMA', 'LF'):
        '44db0a48733872ee2beb4e591aba5aa98a74bd3b6e8913141d1d758e715b8816',
    ('AccountTeamMember', 'every_other_backwards', 'TAB', 'CRLF'):
        'aba2b0a65a65498392df6d745970f16f3f6dd43f3905b819e7788ea8865285b7',
    ('AccountTeamMember', 'every_other_backwards', 'PIPE', 'CRLF'):
        '463d9ca1963ec8fa615aa3c5cf29bce7154b0cf1b8a6484a5f55ff8e3b62deb7',
    ('AccountTeamMember', 'every_other_backwards', 'SEMICOLON', 'LF'):
        'a940d331a2d36c3961556d04e466c69dfab940a9e00fd89c86b01b89b6e5027f',
    ('AccountTeamMember', 'none', 'COMMA', 'LF'):
        '58b6eeea41679421fc7db3f9569b0f07f63bd2f2d8e691fd9b06d2fadccbd425',
    ('AccountTeamMember', 'none', 'TAB', 'CRLF'):
        '3af47796475bcf2d51a812a3fa3a7d86c770a2fbf3608435d47ab1e08a515cb9',
    ('AccountTeamMember', 'none', 'PIPE', 'CRLF'):
        'a2f53b88a7bbab4c74baa5ad2aed3e059f778747c197d8061a666a19184ef0a0',
    ('AccountTeamMember', 'none', 'SEMICOLON', 'LF'):
        '8107df755b6678d03a97394e266cfaeb707c3e5cd4242b5533447a03c082dd30',
    ('Contact', 'all', 'COMMA', 'LF'):
        'af8def98f64d0b064df946c8da8119666905692dcd2981cac911c4513b3c81e5',
    ('Contact', 'all', 'TAB', 'CRLF'):
        '790100137a14b26ff6d15fb528c686c6cf72b8ba494bd2e198cf316799bed1be',
    ('Contact', 'all', 'PIPE', 'CRLF'):
        '150b0a73841469dc5529bba8fb048aec4fdf679b99cfa6e09f2c44c4bf39c6bf',
    ('Contact', 'all', 'SEMICOLON', 'LF'):
        'bd8da69e8a03a9ec97450cdd91fc2c57b310edf8ab7a3131e6994981735700d9',
    ('Contact', 'every_other_backwards', 'COMMA', 'LF'):
        'a8e39f734c9a1dad698fe108bd4ce05538cd403b8f45978ff1fbd908af3aa851',
    ('Contact', 'every_other_backwards', 'TAB', 'CRLF'):
        'c702f58a3048ac60bd547abbb4dae50f327fd2df0e17d4232219e026f25b677a',
    ('Contact', 'every_other_backwards', 'PIPE', 'CRLF'):
        '536a26e495589c39a0c4389db2e7f54a7ec4bdff796bf0c7247859fd0acef413',
    ('Contact', 'every_other_backwards', 'SEMICOLON', 'LF'):
        '425df53ab0125b3c4e20563330b5ba9d2e6279ce0a91e228beaed59de9918328',
    ('Contact', 'none', 'COMMA', 'LF'):
        'b1e27d4768ca62baca1b902717033b7fd6fec6db1cc1711f859af1982546de44',
    ('Contact', 'none', 'TAB', 'CRLF'):
        '14cf4c2c9ee606a22f087fdf752337d403b071f7e803d78e514d2fd2a41c1a70',
    ('Contact', 'none', 'PIPE', 'CRLF'):
        '2caa8619303c866abd906a92d671ad726e2ad836472af7179fa266bcff421064',
    ('Contact', 'none', 'SEMICOLON', 'LF'):
        '6442e4778dc2df04dd16c9bc41d28057b7e245900e7a9b14bd7b07822b1f5189',
    ('Lead', 'all', 'COMMA', 'LF'):
        'e30fd10784fcac8382aad669430ad794f7f9c7d9d6e07983c7dab871927dca89',
    ('Lead', 'all', 'TAB', 'CRLF'):
        'f37e9666656b8e9cc7706d7aea9e1572f11c04629a92e2673019ecedf2b1c8b4',
    ('Lead', 'all', 'PIPE', 'CRLF'):
        '7f2bcba47735174fd52832264a93676b1a8c135e2812fa90a0b52befdc62c34e',
    ('Lead', 'all', 'SEMICOLON', 'LF'):
        'e274c5c9fe8155aeea306d3d867efdeda666f2bcd7b23d0e9dc956dfee84b885',
    ('Lead', 'every_other_backwards', 'COMMA', 'LF'):
        'dbf77d7e5490db3c949df2040bbaec0e90c76b5a8b5ff3e30139cc0feccb37df',
    ('Lead', 'every_other_backwards', 'TAB', 'CRLF'):
        '04c049ff0653d7fe085a1e460023dccf503c80297eecd6cbdc7a632f72723f69',
    ('Lead', 'every_other_backwards', 'PIPE', 'CRLF'):
        'dace748337bbfaa8557cff4284708b0a49076c330c7ca2f47063add859c4a61c',
    ('Lead', 'every_other_backwards', 'SEMICOLON', 'LF'):
        'd71479b621b892b9bdae1d2df03ce74426c1694d26bcd53c848256b991433acd',
    ('Lead', 'none', 'COMMA', 'LF'):
        'd0342bf2c7be84e3d276278a450aa9e39dd63aa207ebe431f207d5ef0bb1dc91',
    ('Lead', 'none', 'TAB', 'CRLF'):
        'f31400f85782d460d192f33bd8773768ca91f826d0686aed93aefda98a79b6d4',
    ('Lead', 'none', 'PIPE', 'CRLF'):
        '5d44400249a5e49508de931c1fdbc9e2c53c5ec088d86068024b2ab72690bcdc',
    ('Lead', 'none', 'SEMICOLON', 'LF'):
        'a68785e6696afcfea48771838af9dcd3b1c5a45b371ae3810899b77766fcf82b',
    ('Opportunity', 'all', 'COMMA', 'LF'):
        'baaa05734e0edb7895f5c569904944e965b2b0d3f92fdcf6b307f1e49d91cf7a',
    ('Opportunity', 'all', 'TAB', 'CRLF'):
        'f62c0f51150e8ffb938f26e6ac5c95bdc1d7131db43710756b84753eb4689d83',
    ('Opportunity', 'all', 'PIPE', 'CRLF'):
        'a5c7ebbfb671b1af067e330c7e299762d1a867af5aeb815b687947877649e017',
    ('Opportunity', 'all', 'SEMICOLON', 'LF'):
        '93bc3d6cc85d062d8553f781d0c2e9be58f333d887df3369c0367caa2502d860',
    ('Opportunity', 'every_other_backwards', 'COMMA', 'LF'):
        '80d2eaab7868082f50b992843bdcb55ab1ac9293de3b2e23b29a9ff6a09bac6c',
    ('Opportunity', 'every_other_backwards', 'TAB', 'CRLF'):
        '2ced17bb6cf99e4b718882ab6873bf8008156b2a2d3889216a722dd2422f530b',
    ('Opportunity', 'every_other_backwards', 'PIPE', 'CRLF'):
        'cf6afda40344104f5f6e51aa1cb9ce5ccd988511c74585da0741260011752d22',
    ('Opportunity', 'every_other_backwards', 'SEMICOLON', 'LF'):
        'bf4ae320e271353fa75c27128c29b1e9e8d46e9bc3082b9b5ba2e4f8b7a15596',
    ('Opportunity', 'none', 'COMMA', 'LF'):
        '18d08b10c92712df14f91c49a462094fb4fb105177263275f2d4d02ccefc0f09',
    ('Opportunity', 'none', 'TAB', 'CRLF'):
        '59384d2e8a9fc5c20f83948f241a6d96eae2a5a67432af8b532c63f9b78ef52e',
    ('Opportunity', 'none', 'PIPE', 'CRLF'):
        '9ee6b4776cfd87cec17af499f5b103a9af8e4d67c3deeda796e55e992158ad4d',
    ('Opportunity', 'none', 'SEMICOLON', 'LF'):
        '6359bf719027a97e7d71da0a7afbea09238477ff8ac4cde2b429d53ab5d2b728',
    ('OpportunityContactRole', 'all', 'COMMA', 'LF'):
        '16db3f2358f7e8ffcf789c6ed0ebf52749e9076fd1b3180fb0aa3ef3d83a5e1e',
    ('OpportunityContactRole', 'all', 'TAB', 'CRLF'):
        'ff09a26126c1f69c630478bdf191027d7b24ff3d394513e72a3f3387b824cbe7',
    ('OpportunityContactRole', 'all', 'PIPE', 'CRLF'):
        '2f95d2d70321635e4fed36507ab48f5defa5ec9b122f5acbe3b8b1e166556248',
    ('OpportunityContactRole', 'all', 'SEMICOLON', 'LF'):
        'a3e3c7621c12f328422a7963b75a15f53f99bde1b322e9a9fe3afc1ca2f5aa53',
    ('OpportunityContactRole', 'every_other_backwards', 'COMMA', 'LF'):
        '438138376025ac8047b8217ea7bf1218872fd4d64a3637d05dedc14a1c795969',
    ('OpportunityContactRole', 'every_other_backwards', 'TAB', 'CRLF'):
        'd70a41ce370065fac399a6aaf12e6bd58de20734adffc554524bae14796dc766',
    ('OpportunityContactRole', 'every_other_backwards', 'PIPE', 'CRLF'):
        '52d1bb943d82224dfc1deb6e5aea214a9d10d8242bcd7e58fd3b28abbffce864',
    ('OpportunityContactRole', 'every_other_backwards', 'SEMICOLON', 'LF'):
        '4ddcfdc6cff0494544cbcc04d25a2b3ea1b293e816990c024980cbf3e9148254',
    ('OpportunityContactRole', 'none', 'COMMA', 'LF'):
        '8f9f6c0c0d82292f8e0b97f35a932dda2fd6739133f7b30f03c87fabf6f99b48',
    ('OpportunityContactRole', 'none', 'TAB', 'CRLF'):
        '4efb22dc03f83041416632e2d6e8c73fcfaa821305eed12c00161d947f8bcdd4',
    ('OpportunityContactRole', 'none', 'PIPE', 'CRLF'):
        'a3c837d12568cfc5210630ce109a655a9bde376cdbb70121fcf7ea355fee6b78',
    ('OpportunityContactRole', 'none', 'SEMICOLON', 'LF'):
        'acd2c2bc70c8e817444ba810fc956d054c78bb789060754b50f0fde98d4a28ce',
    ('Campaign', 'all', 'COMMA', 'LF'):
        'bf255d51c0dc9fd23c906babf91a5426c9706c063c06b832432b3140895644a5',
    ('Campaign', 'all', 'TAB', 'CRLF'):
        '59102ad185a13753e47afa317aabbf50384c7ec7451f3d25e1dbfb7b1d0119ec',
    ('Campaign', 'all', 'PIPE', 'CRLF'):
        'fd9a68ef3e0d6649768e1d331f2dd9bc891c2808b1dfaafd3f685963b81dd2d7',
    ('Campaign', 'all', 'SEMICOLON', 'LF'):
        'effdf148f40b06dc190c0d061eae4577b51d85df3eccdabc8ef55be4b6cb7354',
    ('Campaign', 'every_other_backwards', 'COMMA', 'LF'):
        '49c48c594ea65112862ae4894fc059a609d6d190ddd604eced3f88c5e62d05b3',
    ('Campaign', 'every_other_backwards', 'TAB', 'CRLF'):
        '41230fa313f70e96a57fea2aea441c8241d7c46e303e07c3244491cdf5774a9e',
    ('Campaign', 'every_other_backwards', 'PIPE', 'CRLF'):
        '5385347d1f3bff490287923658e890c9280671500d9806ea21ea291d49f342eb',
    ('Campaign', 'every_other_backwards', 'SEMICOLON', 'LF'):
        'f7223b5e7a6cb80981218036665ef370949ef1d62a0b80a24fa24bcae482041c',
    ('Campaign', 'none', 'COMMA', 'LF'):
        '0de4af7175522317e817975cb02a51afd884ad2f0c1d88017f44dd5828a84398',
    ('Campaign', 'none', 'TAB', 'CRLF'):
        '7fa1440f22c872a44dc70fdffa165aae347e2835372f65438cf960e41b39988a',
    ('Campaign', 'none', 'PIPE', 'CRLF'):
        'd30c8e115e4803749956dc520663156bfbfdfdc437541dd398c8bb10134e66ac',
    ('Campaign', 'none', 'SEMICOLON', 'LF'):
        'ea9bc4d6a025066bbe0f3c81b14ed7c03ca69c43b02b85399fe273eafc7e9b07',
    ('Task', 'all', 'COMMA', 'LF'):
        'e8951d08024ea969fa0d10e2cf5e8537c3327264ec2d8c6bc6f6e8838ccc7bb8',
    ('Task', 'all', 'TAB', 'CRLF'):
        '1a154079aecb5572df127c43f83eebc7e327c529da85154f44851daa35020ffb',
    ('Task', 'all', 'PIPE', 'CRLF'):
        '90fa87d956df5e9bd34bfc162b6218200532e7fd27d804aca72a94d669c11990',
    ('Task', 'all', 'SEMICOLON', 'LF'):
        'f801572845c1698520957ffc170c1b172ad5dc4f5cf03f98fcec991fbfa56e62',
    ('Task', 'every_other_backwards', 'COMMA', 'LF'):
        '2416bfe65e4cece21ec0054ffe374ebd18edb021994c98a6b7ae1a93dc1aee96',
    ('Task', 'every_other_backwards', 'TAB', 'CRLF'):
        '2f6cbe78c2521858ca17d7009a20a495b6c1da85e565f1afa1ebb3ad88cda674',
    ('Task', 'every_other_backwards', 'PIPE', 'CRLF'):
        '4da50ede232dd7d7f5d075eb47311717ec2888460d0a0432c21820142169ed99',
    ('Task', 'every_other_backwards', 'SEMICOLON', 'LF'):
        '9407c6862b014f1fe63560496b6126bf6419f78900c6eb613e83aec742595a9e',
    ('Task', 'none', 'COMMA', 'LF'):
        'eee875cf55c256d97384b77478e4e3ba16211ed4a2ac96b1d5335c29407e1a5b',
    ('Task', 'none', 'TAB', 'CRLF'):
        'f32f85ee3c8e02ccf00f3bde2b43fe49255ae4158036d26ef3187d38575dd76b',
    ('Task', 'none', 'PIPE', 'CRLF'):
        '3af9cf72aea87a61c1bb4827a72133482675be546e456a57df326160c9bcaabd',
    ('Task', 'none', 'SEMICOLON', 'LF'):
        '93ef66927139d6049f5a028da4a6917a74a45e2b47ec95d29b59cef1e94ee14c',
}


def test_every_field_type_is_written_as_the_bulk_apis_write_it() -> None:
    assert _every_type_csv(",", "\n") == EVERY_TYPE_CSV


@pytest.mark.parametrize(("delimiter", "line_ending"), sorted(PINNED_EVERY_TYPE))
def test_every_delimiter_and_line_ending_keeps_the_pinned_bytes(delimiter: str, line_ending: str) -> None:
    content = _every_type_csv(DELIMITERS[delimiter], LINE_ENDINGS[line_ending])
    assert _digest(content) == PINNED_EVERY_TYPE[(delimiter, line_ending)]


def test_line_ending_separates_records_but_values_keep_their_own_line_breaks() -> None:
    content = _every_type_csv("\t", "\r\n")
    assert content == EVERY_TYPE_CSV.replace(b'"\n', b'"\r\n').replace(b'","', b'"\t"')


@pytest.mark.parametrize(("sobject_name", "page", "delimiter", "line_ending"), sorted(PINNED_ORG_PAGES))
def test_generated_org_pages_keep_the_pinned_bytes(tiny_org: dict[str, pd.DataFrame], sobject_name: str,
                                                   page: str, delimiter: str, line_ending: str) -> None:
    content = _org_page(tiny_org, sobject_name, page, delimiter, line_ending)
    assert _digest(content) == PINNED_ORG_PAGES[(sobject_name, page, delimiter, line_ending)]


@pytest.mark.parametrize(("value", "text"), [
    (0.0, "0.0"), (-0.0, "0.0"), (5366000.0, "5366000.0"), (12345678.0, "1.2345678E7"),
    (1e-4, "1.0E-4"), (0.001, "0.001"), (1e7, "1.0E7"), (-2.5e-10, "-2.5E-10"), (100.0, "100.0"),
])
def test_doubles_are_written_as_java_writes_them(value: float, text: str) -> None:
    assert java_double_text(value) == text


def test_string_columns_not_held_by_arrow_are_written_the_same() -> None:
    frame = _every_type_frame()
    for spec in EVERY_TYPE.fields:
        if column_dtype(spec) == pd.StringDtype():
            storage = "python" if len(spec.name) % 2 else None
            frame[spec.name] = (frame[spec.name].astype(pd.StringDtype(storage)) if storage
                                else frame[spec.name].astype(object).where(frame[spec.name].notna(), None))
    content = csv_bytes(EVERY_TYPE, frame, np.arange(len(frame)), EVERY_TYPE.field_names())
    assert content == EVERY_TYPE_CSV


def test_an_any_type_column_holding_numbers_is_written_as_their_text() -> None:
    frame = _every_type_frame()
    frame["Value__c"] = pd.Series([i if i % 2 else None for i in range(len(frame))], dtype=object)
    content = csv_bytes(EVERY_TYPE, frame, np.arange(4), ["Id", "Value__c"])
    assert content == ('"Id","Value__c"\n"a00000000000000AAA",""\n"a00000000000001AAA","1"\n'
                       '"a00000000000002AAA",""\n"a00000000000003AAA","3"\n').encode()
