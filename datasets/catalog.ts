// The catalog of the four sample public datasets: fields, categories, grades, openness,
// roles and default masking. Everything downstream (masking, grants, export checks) reads it.
import type { DatasetSpec, FieldSpec } from './types.ts';

const f = (spec: FieldSpec): FieldSpec => spec;

export const CATALOG: readonly DatasetSpec[] = [
  {
    id: 'population',
    sampleKey: 'id_card',
    title: { zh: '人口基础信息', en: 'Population register' },
    department: '浙江省公安厅',
    updateFrequency: 'daily',
    grade: 'important',
    openness: 'conditional',
    fields: [
      f({ name: 'id_card', type: 'VARCHAR', description: '公民身份号码 resident ID number', category: 'personal', grade: 'important', openness: 'conditional', role: 'direct_identifier', mask: { op: 'token', params: { scope: 'person' } } }),
      f({ name: 'name', type: 'VARCHAR', description: '姓名 name', category: 'personal', grade: 'important', openness: 'conditional', role: 'direct_identifier', mask: { op: 'mask', params: { preset: 'name' } } }),
      f({ name: 'phone', type: 'VARCHAR', description: '手机号码 mobile number', category: 'personal', grade: 'important', openness: 'conditional', role: 'direct_identifier', mask: { op: 'mask', params: { preset: 'mobile' } } }),
      f({ name: 'gender', type: 'VARCHAR', description: '性别 sex', category: 'personal', grade: 'general', openness: 'conditional', role: 'quasi_identifier', mask: { op: 'keep' } }),
      f({ name: 'birth_date', type: 'DATE', description: '出生日期 date of birth', category: 'personal', grade: 'general', openness: 'conditional', role: 'quasi_identifier', mask: { op: 'date_trunc', params: { unit: 'year' } } }),
      f({ name: 'address', type: 'VARCHAR', description: '户籍地址 registered address', category: 'personal', grade: 'important', openness: 'conditional', role: 'direct_identifier', mask: { op: 'mask', params: { preset: 'address' } } }),
      f({ name: 'county_code', type: 'VARCHAR', description: '县级行政区划代码 county code', category: 'public', grade: 'general', openness: 'open', role: 'quasi_identifier', mask: { op: 'keep' } }),
      f({ name: 'criminal_record', type: 'BOOLEAN', description: '违法犯罪记录 criminal record flag', category: 'sensitive_personal', grade: 'core', openness: 'prohibited', role: 'sensitive_attribute', mask: { op: 'drop' } }),
    ],
  },
  {
    id: 'enterprise',
    title: { zh: '企业登记信息', en: 'Enterprise register' },
    department: '浙江省市场监督管理局',
    updateFrequency: 'daily',
    grade: 'general',
    openness: 'conditional',
    fields: [
      f({ name: 'credit_code', type: 'VARCHAR', description: '统一社会信用代码 unified social credit code', category: 'enterprise', grade: 'general', openness: 'conditional', role: 'direct_identifier', mask: { op: 'token', params: { scope: 'enterprise' } } }),
      f({ name: 'name', type: 'VARCHAR', description: '企业名称 registered name', category: 'enterprise', grade: 'general', openness: 'open', role: 'quasi_identifier', mask: { op: 'keep' } }),
      f({ name: 'legal_rep_id_card', type: 'VARCHAR', description: '法定代表人身份号码 legal representative ID number', category: 'personal', grade: 'important', openness: 'conditional', role: 'direct_identifier', mask: { op: 'token', params: { scope: 'person' } } }),
      f({ name: 'industry_code', type: 'VARCHAR', description: '国民经济行业门类 industry section (GB/T 4754)', category: 'enterprise', grade: 'general', openness: 'open', role: 'quasi_identifier', mask: { op: 'keep' } }),
      f({ name: 'reg_capital', type: 'DOUBLE', description: '注册资本（万元）registered capital, 10k CNY', category: 'enterprise', grade: 'general', openness: 'open', role: 'other', mask: { op: 'keep' } }),
      f({ name: 'county_code', type: 'VARCHAR', description: '登记机关县级代码 county code', category: 'public', grade: 'general', openness: 'open', role: 'quasi_identifier', mask: { op: 'keep' } }),
      f({ name: 'status', type: 'VARCHAR', description: '登记状态 status', category: 'enterprise', grade: 'general', openness: 'open', role: 'other', mask: { op: 'keep' } }),
    ],
  },
  {
    id: 'social_insurance',
    sampleKey: 'id_card',
    title: { zh: '社会保险缴费信息', en: 'Social insurance contributions' },
    department: '浙江省人力资源和社会保障厅',
    updateFrequency: 'monthly',
    grade: 'important',
    openness: 'conditional',
    fields: [
      f({ name: 'id_card', type: 'VARCHAR', description: '参保人身份号码 insured person ID number', category: 'personal', grade: 'important', openness: 'conditional', role: 'direct_identifier', mask: { op: 'token', params: { scope: 'person' } } }),
      f({ name: 'credit_code', type: 'VARCHAR', description: '参保单位信用代码 employer credit code', category: 'enterprise', grade: 'general', openness: 'conditional', role: 'direct_identifier', mask: { op: 'token', params: { scope: 'enterprise' } } }),
      f({ name: 'month', type: 'VARCHAR', description: '费款所属期 contribution month (YYYY-MM)', category: 'public', grade: 'general', openness: 'open', role: 'other', mask: { op: 'keep' } }),
      f({ name: 'base_amount', type: 'DOUBLE', description: '缴费基数（元）contribution base, CNY', category: 'personal', grade: 'important', openness: 'conditional', role: 'sensitive_attribute', mask: { op: 'keep' } }),
      f({ name: 'paid', type: 'BOOLEAN', description: '是否足额缴纳 paid in full', category: 'personal', grade: 'general', openness: 'conditional', role: 'other', mask: { op: 'keep' } }),
    ],
  },
  {
    id: 'medical_claims',
    sampleKey: 'id_card',
    title: { zh: '医保结算信息', en: 'Medical insurance claims' },
    department: '浙江省医疗保障局',
    updateFrequency: 'daily',
    grade: 'important',
    openness: 'conditional',
    fields: [
      f({ name: 'claim_id', type: 'VARCHAR', description: '结算单号 claim number', category: 'personal', grade: 'general', openness: 'conditional', role: 'direct_identifier', mask: { op: 'token', params: { scope: 'claim' } } }),
      f({ name: 'id_card', type: 'VARCHAR', description: '就诊人身份号码 patient ID number', category: 'personal', grade: 'important', openness: 'conditional', role: 'direct_identifier', mask: { op: 'token', params: { scope: 'person' } } }),
      f({ name: 'hospital', type: 'VARCHAR', description: '定点医疗机构 hospital', category: 'public', grade: 'general', openness: 'open', role: 'quasi_identifier', mask: { op: 'keep' } }),
      f({ name: 'icd10', type: 'VARCHAR', description: '主要诊断 ICD-10 diagnosis', category: 'sensitive_personal', grade: 'important', openness: 'conditional', role: 'sensitive_attribute', mask: { op: 'mask', params: { keepFirst: 3, keepLast: 0, char: '*' } } }),
      f({ name: 'amount', type: 'DOUBLE', description: '医疗费用总额（元）total amount, CNY', category: 'personal', grade: 'general', openness: 'conditional', role: 'sensitive_attribute', mask: { op: 'keep' } }),
      f({ name: 'claim_date', type: 'DATE', description: '结算日期 settlement date', category: 'personal', grade: 'general', openness: 'conditional', role: 'quasi_identifier', mask: { op: 'date_trunc', params: { unit: 'month' } } }),
    ],
  },
];

export function findDataset(id: string): DatasetSpec | undefined {
  return CATALOG.find((d) => d.id === id);
}

/** Fields that must never be granted (R8): graded core or marked prohibited. */
export function isGrantable(field: Pick<FieldSpec, 'grade' | 'openness'>): boolean {
  return field.grade !== 'core' && field.openness !== 'prohibited';
}

/** Fields whose raw values must never appear in a tenant file (checked after every build). */
export function isProtectedField(field: Pick<FieldSpec, 'role' | 'category'>): boolean {
  return field.role === 'direct_identifier' || field.category === 'sensitive_personal';
}
