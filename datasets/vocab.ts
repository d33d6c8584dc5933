// Our own vocabularies for the sample data: real Zhejiang counties (code, name, city, weight
// ≈ population share), GB/T 4754 industry sections, common ICD-10 diagnoses, hospitals.

export interface County {
  readonly code: string;
  readonly name: string;
  readonly city: string;
  readonly weight: number;
}

const CITY_NAMES: Record<string, string> = {
  '3301': '杭州市',
  '3302': '宁波市',
  '3303': '温州市',
  '3304': '嘉兴市',
  '3305': '湖州市',
  '3306': '绍兴市',
  '3307': '金华市',
  '3308': '衢州市',
  '3309': '舟山市',
  '3310': '台州市',
  '3311': '丽水市',
};

// code:name:weight (weight ≈ residents in 10k, rounded)
const RAW = `330102:上城区:132 330105:拱墅区:118 330106:西湖区:115 330108:滨江区:54 330109:萧山区:209 330110:余杭区:135
330111:富阳区:84 330112:临安区:64 330113:临平区:117 330114:钱塘区:79 330122:桐庐县:46 330127:淳安县:33 330182:建德市:44
330203:海曙区:104 330205:江北区:49 330206:北仑区:81 330211:镇海区:52 330212:鄞州区:160 330213:奉化区:58 330225:象山县:56
330226:宁海县:70 330281:余姚市:126 330282:慈溪市:183 330302:鹿城区:103 330303:龙湾区:75 330304:瓯海区:96 330305:洞头区:10
330324:永嘉县:87 330326:平阳县:76 330327:苍南县:84 330328:文成县:29 330329:泰顺县:27 330381:瑞安市:152 330382:乐清市:145
330383:龙港市:47 330402:南湖区:62 330411:秀洲区:69 330421:嘉善县:65 330424:海盐县:44 330481:海宁市:108 330482:平湖市:69
330483:桐乡市:104 330502:吴兴区:82 330503:南浔区:55 330521:德清县:55 330522:长兴县:67 330523:安吉县:59 330602:越城区:99
330603:柯桥区:110 330604:上虞区:80 330624:新昌县:43 330681:诸暨市:122 330683:嵊州市:68 330702:婺城区:80 330703:金东区:46
330723:武义县:46 330726:浦江县:46 330727:磐安县:18 330781:兰溪市:58 330782:义乌市:189 330783:东阳市:109 330784:永康市:96
330802:柯城区:46 330803:衢江区:38 330822:常山县:26 330824:开化县:25 330825:龙游县:36 330881:江山市:50 330902:定海区:51
330903:普陀区:38 330921:岱山县:18 330922:嵊泗县:7 331002:椒江区:83 331003:黄岩区:68 331004:路桥区:66 331022:三门县:34
331023:天台县:40 331024:仙居县:41 331081:温岭市:141 331082:临海市:111 331083:玉环市:63 331102:莲都区:56 331121:青田县:50
331122:缙云县:40 331123:遂昌县:20 331124:松阳县:21 331125:云和县:13 331126:庆元县:15 331127:景宁畲族自治县:11 331181:龙泉市:25`;

export const COUNTIES: readonly County[] = RAW.split(/\s+/)
  .filter(Boolean)
  .map((entry) => {
    const [code, name, weight] = entry.split(':') as [string, string, string];
    return { code, name, city: CITY_NAMES[code.slice(0, 4)]!, weight: Number(weight) };
  });

/** GB/T 4754-2017 sections with a rough share of enterprises. */
export const INDUSTRIES: readonly { code: string; name: string; weight: number }[] = [
  { code: 'A', name: '农、林、牧、渔业', weight: 3 },
  { code: 'C', name: '制造业', weight: 30 },
  { code: 'E', name: '建筑业', weight: 8 },
  { code: 'F', name: '批发和零售业', weight: 28 },
  { code: 'G', name: '交通运输、仓储和邮政业', weight: 4 },
  { code: 'H', name: '住宿和餐饮业', weight: 5 },
  { code: 'I', name: '信息传输、软件和信息技术服务业', weight: 7 },
  { code: 'K', name: '房地产业', weight: 3 },
  { code: 'L', name: '租赁和商务服务业', weight: 8 },
  { code: 'M', name: '科学研究和技术服务业', weight: 4 },
];

export const ICD10: readonly { code: string; name: string; weight: number; winter: boolean }[] = [
  { code: 'J06.900', name: '急性上呼吸道感染', weight: 18, winter: true },
  { code: 'J18.900', name: '肺炎', weight: 6, winter: true },
  { code: 'J45.900', name: '哮喘', weight: 3, winter: true },
  { code: 'I10.x00', name: '原发性高血压', weight: 14, winter: false },
  { code: 'E11.900', name: '2型糖尿病', weight: 10, winter: false },
  { code: 'K29.700', name: '胃炎', weight: 7, winter: false },
  { code: 'M54.500', name: '腰痛', weight: 5, winter: false },
  { code: 'I25.100', name: '动脉硬化性心脏病', weight: 4, winter: true },
  { code: 'N39.000', name: '泌尿道感染', weight: 3, winter: false },
  { code: 'K35.800', name: '急性阑尾炎', weight: 2, winter: false },
  { code: 'S52.500', name: '桡骨下端骨折', weight: 2, winter: true },
  { code: 'O80.000', name: '单胎顺产', weight: 2, winter: false },
  { code: 'C34.900', name: '支气管或肺恶性肿瘤', weight: 1, winter: false },
  { code: 'H25.900', name: '老年性白内障', weight: 2, winter: false },
  { code: 'L30.900', name: '皮炎', weight: 3, winter: false },
  { code: 'A09.900', name: '感染性腹泻', weight: 3, winter: false },
];

export const HOSPITAL_SUFFIXES: readonly string[] = ['人民医院', '中医院', '第一人民医院', '妇幼保健院', '社区卫生服务中心'];

export const ENTERPRISE_SUFFIXES: readonly string[] = ['有限公司', '股份有限公司', '科技有限公司', '贸易有限公司', '实业有限公司', '制造有限公司'];
export const ENTERPRISE_STATUSES: readonly { status: string; weight: number }[] = [
  { status: '存续', weight: 85 },
  { status: '在业', weight: 8 },
  { status: '注销', weight: 5 },
  { status: '吊销', weight: 2 },
];
